export { phoneChange } from './phone-change';
export { linkedSync } from './linked-sync';
export { phoneRevert } from './phone-revert';
export { testDelivery } from './test-delivery';
export { recyclingSweep } from './recycling-sweep';
export { passwordReset } from './password-reset';
export { supportRecovery } from './support-recovery';
