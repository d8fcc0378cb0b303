export { phoneChange } from './phone-change';
