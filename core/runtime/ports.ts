/**
 * How the runtime sees adapters: named ports with named operations. Data in, a classified outcome out; adapters
 * never throw for remote refusals (a throw is a bug, reported to the actor as PARLO_PORT_FAILED).
 */
export type PortOperation = (input: unknown) => Promise<unknown>;
export type Ports = Readonly<Record<string, Readonly<Record<string, PortOperation>>>>;
