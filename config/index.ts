/** The public surface of `config/`: the composition root (`frontends/cli/start.ts`) imports from here. */
export * from './schema.ts';
export { defaultConfig, defaultNodeId } from './defaults.ts';
export { CLI_API_KEY_ENV } from './settings.ts';
export { ConfigError, formatIssue, type ConfigIssue } from './errors.ts';
export {
  loadConfig,
  describeConfigSources,
  type ConfigOverrides,
  type ConfigSource,
  type LoadConfigOptions,
} from './load.ts';
