/** A setting the process cannot run with; the message names the variable and the fix. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}
