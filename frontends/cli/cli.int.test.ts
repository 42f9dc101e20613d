import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../../core/testing/temp-dir.ts';

const PARLO = fileURLToPath(new URL('./parlo.mjs', import.meta.url));

function runParlo(args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, [PARLO, ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, output: () => ({ stdout, stderr }) };
}

async function waitFor(predicate: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('parlo CLI', () => {
  const temp = makeTempDir('parlo-cli-');
  afterAll(() => temp.remove());

  it('starts embedded with data under the data dir and stops gracefully on SIGTERM with exit code 0', async () => {
    const dataDir = join(temp.path, 'data');
    const run = runParlo(['start'], { PARLO_DATA_DIR: dataDir, PARLO_HTTP_PORT: '0', PARLO_REALTIME__PORT: '0' });
    await waitFor(() => run.output().stdout.includes('parlo node started'), 'the start-up log line');
    const started = JSON.parse(
      run
        .output()
        .stdout.split('\n')
        .find((l) => l.includes('parlo node started'))!,
    ) as Record<string, unknown>;
    expect(started).toMatchObject({ transport: 'in-process', runtimeDir: join(dataDir, 'runtime') });
    expect(existsSync(join(dataDir, 'runtime', 'data.mdb'))).toBe(true);
    const health = await fetch(`${String(started.http)}/healthz`);
    expect(await health.json()).toEqual({ status: 'ok' });
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
    expect(run.output().stdout).toContain('all turns committed and LMDB closed');
  });

  it('refuses a bad setting, naming the field and its source, with a non-zero exit code', async () => {
    const run = runParlo(['start'], { PARLO_DATA_DIR: join(temp.path, 'bad'), PARLO_RUNTIME__PARTITION_COUNT: 'many' });
    expect(await run.exited).toBe(2);
    const { stderr } = run.output();
    expect(stderr).toContain('PARLO_CONFIG_INVALID');
    expect(stderr).toContain('runtime.partitionCount (from PARLO_RUNTIME__PARTITION_COUNT)');
  });

  it('prints the effective configuration', async () => {
    const run = runParlo(['config', '--http.port=9999'], {
      PARLO_DATA_DIR: join(temp.path, 'cfg'),
      PARLO_WHATSAPP__APP_SECRET: 's3cr3t',
    });
    expect(await run.exited).toBe(0);
    expect(run.output().stdout).not.toContain('s3cr3t');
    const config = JSON.parse(run.output().stdout) as {
      http: { port: number };
      dataDir: string;
      whatsapp: { appSecret: string };
    };
    expect(config.whatsapp.appSecret).toBe('(set)');
    expect(config.http.port).toBe(9999);
    expect(config.dataDir).toBe(join(temp.path, 'cfg'));
  });

  it('runs the Cloud API simulator alone and answers its control API and Graph errors', async () => {
    const run = runParlo(['simulator', '--port', '0'], {});
    await waitFor(() => run.output().stdout.includes('simulator listening'), 'the simulator start line');
    const { url } = JSON.parse(run.output().stdout.split('\n')[0]!) as { url: string };
    const registered = await fetch(`${url}/_sim/wabas`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ appSecret: 's', accessToken: 'T' }),
    });
    expect(registered.status).toBe(200);
    const refused = await fetch(`${url}/v23.0/123/messages`, {
      method: 'POST',
      headers: { authorization: 'Bearer T' },
      body: '{}',
    });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { error: { code: number } }).error.code).toBe(100);
    const bad = await fetch(`${url}/_sim/numbers`, {
      method: 'POST',
      body: JSON.stringify({ wabaId: 'x', displayPhoneNumber: 'abc' }),
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toContain('displayPhoneNumber');
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
  });

  it('refuses a bad simulator port with a message naming the flag', async () => {
    const run = runParlo(['simulator', '--port', 'eighty'], {});
    expect(await run.exited).toBe(2);
    expect(run.output().stderr).toContain('--port must be an integer');
  });
});
