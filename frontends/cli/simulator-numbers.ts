import { randomBytes, randomInt } from 'node:crypto';
import type { ActorSystem, Logger, SecretBox } from '../../core/index.ts';
import type { CloudApiSimulator } from '../../adapters/whatsapp-cloud/simulator/simulator.ts';
import {
  ORG_NUMBERS_KIND,
  wabaSecretContext,
  type OrgNumbersMsg,
  type OrgNumbersReply,
} from '../../actors/numbers/numbers.messages.ts';
import {
  SIMULATED_NUMBERS_ID,
  SIMULATED_NUMBERS_KIND,
  type SimulatedNumbersMsg,
  type SimulatedNumbersReplies,
} from '../../actors/numbers/simulated-numbers.actor.ts';
import type { ProvisionedNumber, SimulatorNumbers } from '../http/routes/numbers.routes.ts';

export interface SimulatorNumbersDeps {
  readonly system: ActorSystem;
  readonly simulator: CloudApiSimulator;
  readonly secretBox: SecretBox;
  /** The organisation's webhook URL (known once the HTTP frontend listens). */
  readonly callbackUrl: (orgId: string) => string;
  readonly logger: Logger;
}

/** A 15-digit id in Meta's style. */
function graphId(): string {
  return `1${String(randomInt(0, 1e9)).padStart(9, '0')}${String(randomInt(0, 1e5)).padStart(5, '0')}`;
}

/**
 * Numbers of the bundled simulator for organisations: each gets its own business account with fresh credentials,
 * and its webhooks go to the organisation's webhook URL, signed with that account's app secret, exactly as a
 * Cloud API number would be wired.
 */
export function simulatorNumbers(deps: SimulatorNumbersDeps): SimulatorNumbers & { restore(): Promise<number> } {
  const registry = <T extends SimulatedNumbersMsg['type']>(msg: Extract<SimulatedNumbersMsg, { type: T }>) =>
    deps.system.ask<SimulatedNumbersReplies[T]>({ kind: SIMULATED_NUMBERS_KIND, id: SIMULATED_NUMBERS_ID }, msg);
  const numbers = <T extends OrgNumbersMsg['type']>(orgId: string, msg: Extract<OrgNumbersMsg, { type: T }>) =>
    deps.system.ask<OrgNumbersReply<T>>({ kind: ORG_NUMBERS_KIND, id: orgId }, msg);

  return {
    provision({ orgId, displayPhoneNumber }): Promise<ProvisionedNumber> {
      const wabaId = graphId();
      const appSecret = randomBytes(16).toString('hex');
      const accessToken = `SIM${randomBytes(24).toString('base64url')}`;
      deps.simulator.registerWaba({ wabaId, appSecret, accessToken, callbackUrl: deps.callbackUrl(orgId) });
      const number = deps.simulator.registerNumber({
        wabaId,
        phoneNumberId: graphId(),
        displayPhoneNumber: displayPhoneNumber ?? `1555${String(randomInt(0, 1e7)).padStart(7, '0')}`,
      });
      return Promise.resolve({
        wabaId,
        appSecret,
        accessToken,
        number: {
          phoneNumberId: number.phoneNumberId,
          displayPhoneNumber: number.displayPhoneNumber,
          verifiedName: null,
          qualityRating: number.quality,
          throughputLevel: 'STANDARD',
        },
      });
    },

    async remember(entry) {
      await registry<'remember'>({ type: 'remember', ...entry });
    },

    async forget(phoneNumberId) {
      await registry<'forget'>({ type: 'forget', phoneNumberId });
    },

    /** Registers every remembered number with the (fresh, in-memory) simulator again. Returns how many. */
    async restore() {
      const { numbers: remembered } = await registry<'list'>({ type: 'list' });
      let restored = 0;
      for (const entry of remembered) {
        const found = await numbers<'getWaba'>(entry.orgId, { type: 'getWaba', wabaId: entry.wabaId });
        const number = await numbers<'getNumber'>(entry.orgId, {
          type: 'getNumber',
          phoneNumberId: entry.phoneNumberId,
        });
        if (!found.ok || !number.ok) {
          // Disconnected while the registry's forget was lost: forget it now.
          await registry<'forget'>({ type: 'forget', phoneNumberId: entry.phoneNumberId });
          continue;
        }
        const { waba } = found;
        deps.simulator.registerWaba({
          wabaId: waba.wabaId,
          appSecret: deps.secretBox.open(
            waba.appSecretSealed,
            wabaSecretContext(entry.orgId, waba.wabaId, 'appSecret'),
          ),
          accessToken: deps.secretBox.open(
            waba.accessTokenSealed,
            wabaSecretContext(entry.orgId, waba.wabaId, 'accessToken'),
          ),
          callbackUrl: deps.callbackUrl(entry.orgId),
        });
        deps.simulator.registerNumber({
          wabaId: waba.wabaId,
          phoneNumberId: entry.phoneNumberId,
          displayPhoneNumber: number.number.displayPhoneNumber,
        });
        restored++;
      }
      if (restored > 0) deps.logger.info({ restored }, `registered ${restored} simulated number(s) with the simulator`);
      return restored;
    },
  };
}
