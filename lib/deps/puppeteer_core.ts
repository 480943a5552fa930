/**
 * puppeteer-core, to drive a real browser (Debian's chromium, never a downloaded one) in the tests
 * of `netkit ui` (tests/integration/ui_test.ts). Nothing in netkit's library or CLI imports it.
 *
 * @module
 */
export { default } from "npm:puppeteer-core@25.19.0";
export type { Browser, Page } from "npm:puppeteer-core@25.19.0";
