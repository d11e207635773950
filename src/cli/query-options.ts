// The options `sessions` and `last` share, for node:util parseArgs.

export const queryOptions = {
  json: { type: 'boolean', default: false },
  user: { type: 'string' },
  host: { type: 'string' },
  input: { type: 'string', multiple: true },
  wide: { type: 'boolean', short: 'w', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;
