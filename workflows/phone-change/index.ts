export { phoneChange } from './flow';
