import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../config/index.ts';
import { silentLogger } from '../../../core/index.ts';
import { startParlo, type RunningParlo } from '../../cli/start.ts';

/**
 * The inbox in a real Chromium against a real node (composition root, LMDB in a temp dir, the bundled simulator, the
 * realtime gateway): an operator signs in, reads a customer's text and photo, replies; a manager sees who holds the
 * conversation, takes it over, and the operator's page follows live; a new customer message arrives without a
 * reload; the phone layout in Italian. Needs `npm run build:inbox` first (`npm run test:e2e` does it).
 */

const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const DIST = new URL('../dist/index.html', import.meta.url);
const SHOTS = new URL('../../../artifacts/screenshots/', import.meta.url);
const PASSWORD = 'correct horse battery staple';
const CUSTOMER = '393331234567';

let node: RunningParlo;
let dataDir: string;
let browserDir: string;
let browser: BrowserContext;
let phoneNumberId: string;

async function api<T>(method: string, path: string, token?: string, body?: unknown): Promise<T> {
  const res = await fetch(`${node.httpUrl}${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path} → ${res.status} ${text}`);
  return (text === '' ? undefined : JSON.parse(text)) as T;
}

/** A small real PNG (a green square), so the photo bubble has something to decode. */
function png(size: number): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (buf: Buffer) => {
    let c = 0xffffffff;
    for (const byte of buf) c = crcTable[(c ^ byte) & 0xff]! ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const head = Buffer.alloc(4);
    head.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const tail = Buffer.alloc(4);
    tail.writeUInt32BE(crc(body));
    return Buffer.concat([head, body, tail]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const row = Buffer.concat([Buffer.from([0]), Buffer.alloc(size * 3, Buffer.from([11, 122, 90]))]);
  const pixels = Buffer.concat(Array.from({ length: size }, () => row));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(pixels)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

async function invite(ownerToken: string, email: string, role: 'operator' | 'manager'): Promise<void> {
  const invited = await api<{ inviteId: string; token: string }>('POST', '/v1/invites', ownerToken, { email, role });
  await api('POST', '/v1/invites/accept', undefined, {
    inviteId: invited.inviteId,
    token: invited.token,
    password: PASSWORD,
  });
}

async function signIn(page: Page, email: string): Promise<void> {
  await page.goto(node.httpUrl);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
}

function shot(page: Page, name: string): Promise<Buffer> {
  return page.screenshot({ path: join(SHOTS.pathname, `${name}.png`) });
}

beforeAll(async () => {
  if (!existsSync(DIST)) throw new Error('the inbox is not built: run npm run build:inbox (npm run test:e2e does)');
  mkdirSync(SHOTS, { recursive: true });
  dataDir = mkdtempSync(join(tmpdir(), 'parlo-inbox-e2e-'));
  browserDir = mkdtempSync(join(tmpdir(), 'parlo-inbox-chromium-'));
  node = await startParlo(loadConfig({ env: {}, overrides: { dataDir, http: { port: 0 }, realtime: { port: 0 } } }), {
    logger: silentLogger(),
  });
  const owner = await api<{ tokens: { accessToken: string } }>('POST', '/v1/signup', undefined, {
    orgName: 'Acme',
    email: 'ada.lovelace@acme.test',
    password: PASSWORD,
  });
  const token = owner.tokens.accessToken;
  await invite(token, 'ana.rossi@acme.test', 'operator');
  await invite(token, 'max.manager@acme.test', 'manager');
  const connected = await api<{ number: { phoneNumberId: string } }>('POST', '/v1/numbers', token, {
    mode: 'simulator',
    displayName: 'Support',
  });
  phoneNumberId = connected.number.phoneNumberId;
  const simulator = node.whatsapp.simulator!.simulator;
  simulator.injectInbound(phoneNumberId, {
    type: 'text',
    from: CUSTOMER,
    profileName: 'Giulia Bianchi',
    body: 'Ciao! Where is my order A-1001?',
  });
  simulator.injectInbound(phoneNumberId, {
    type: 'image',
    from: CUSTOMER,
    profileName: 'Giulia Bianchi',
    mimeType: 'image/png',
    data: png(96).toString('base64'),
    caption: 'Is this the right part?',
  });
  browser = await chromium.launchPersistentContext(browserDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox'],
    viewport: { width: 1280, height: 800 },
    locale: 'en-GB',
  });
});

afterAll(async () => {
  await browser?.close();
  await node?.stop();
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(browserDir, { recursive: true, force: true });
});

describe('the inbox in Chromium', () => {
  it('lets an operator read, reply and hold a conversation, a manager take it over, live on both screens', async () => {
    const ana = browser.pages()[0] ?? (await browser.newPage());
    const max = await browser.newPage();
    await signIn(max, 'max.manager@acme.test');
    await max.getByRole('link', { name: /Giulia Bianchi/ }).click();
    await max.getByRole('list', { name: 'Messages' }).getByText('Ciao! Where is my order A-1001?').waitFor();

    await signIn(ana, 'ana.rossi@acme.test');
    await ana.getByText('Live', { exact: true }).waitFor();
    await ana.getByRole('link', { name: /Giulia Bianchi/ }).click();
    const messages = ana.getByRole('list', { name: 'Messages' });
    await messages.getByText('Ciao! Where is my order A-1001?').waitFor();
    const photo = messages.getByRole('img', { name: 'Photo' });
    await expect.poll(() => photo.evaluate((img: HTMLImageElement) => img.naturalWidth), { timeout: 15_000 }).toBe(96);
    await ana.keyboard.press('r');
    await ana.keyboard.type('Ciao Giulia, it ships today!');
    await ana.keyboard.press('Control+Enter');
    await messages.getByText('Ciao Giulia, it ships today!').waitFor();
    await ana.getByText('You are replying (others cannot)').waitFor();
    await expect
      .poll(() => messages.locator('.bubble.out .tick').first().getAttribute('aria-label'), { timeout: 15_000 })
      .toMatch(/Sent|Delivered|Read/);
    await shot(ana, 'inbox-operator-desktop');

    // Max's open page learns from the realtime gateway who replies: his composer is disabled, he may take over.
    await max.getByText('Ana Rossi is replying').waitFor();
    await max.getByRole('list', { name: 'Messages' }).getByText('Ciao Giulia, it ships today!').waitFor();
    expect(await max.getByLabel('Reply').isDisabled()).toBe(true);
    await shot(max, 'inbox-manager-locked');
    await max.getByRole('button', { name: 'Take over' }).click();
    await max.getByText('You are replying (others cannot)').waitFor();
    expect(await max.getByLabel('Reply').isDisabled()).toBe(false);

    // And Ana's page, without a reload.
    await ana.getByText('Max Manager is replying').waitFor();
    expect(await ana.getByLabel('Reply').isDisabled()).toBe(true);
    await shot(ana, 'inbox-operator-after-takeover');

    node.whatsapp.simulator!.simulator.injectInbound(phoneNumberId, {
      type: 'text',
      from: CUSTOMER,
      profileName: 'Giulia Bianchi',
      body: 'Grazie mille!',
    });
    await messages.getByText('Grazie mille!').waitFor();
    await ana.getByRole('link', { name: /Giulia Bianchi.*Grazie mille!/ }).waitFor();
    await max.close();
  });

  it('fits a 360 px phone, one pane at a time, in Italian', async () => {
    const page = await browser.newPage();
    await page.setViewportSize({ width: 360, height: 740 });
    await signIn(page, 'ana.rossi@acme.test');
    await page.getByLabel('Language').selectOption('it');
    await page.getByRole('button', { name: 'Esci' }).waitFor();
    await page.getByRole('link', { name: /Giulia Bianchi/ }).waitFor();
    await shot(page, 'inbox-phone-list-it');
    await page.keyboard.press('j');
    await page.getByRole('list', { name: 'Messaggi' }).waitFor();
    expect(await page.getByRole('link', { name: /Giulia Bianchi/ }).isVisible()).toBe(false);
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    expect(width).toBeLessThanOrEqual(360);
    await shot(page, 'inbox-phone-conversation-it');
    await page.getByRole('button', { name: 'Torna alle conversazioni' }).click();
    await page.getByRole('link', { name: /Giulia Bianchi/ }).waitFor();
    await page.close();
  });
});
