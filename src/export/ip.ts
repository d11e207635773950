// Whether a remote host field is an IP address (ECS source.ip) or a name (source.domain).

import { isIP } from 'node:net';

export function isIpAddress(value: string): boolean {
  return isIP(value) !== 0;
}
