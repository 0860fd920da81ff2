// Test aids that ship with core because core's own tests need them and they
// carry no test-framework dependency. Import as `@ciliary/core/testing`.
export { FakeClock, settle } from './fake-clock';
export { waitFor } from './wait-for';
