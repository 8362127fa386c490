/**
 * An owner id that came from a signed-in session (antitheft/api/owner-session.ts is the only maker of one).
 * Every read of the antitheft database takes one, so no read can be written without naming whose data it is.
 */
export type OwnerId = string & { readonly __authenticatedOwner: unique symbol };
export const asOwner = (accountId: string) => accountId as OwnerId;

export type DeviceStatus = 'active' | 'revoked' | 'deactivated' | 'removed';

export interface DeviceRow {
  deviceId: string;
  ownerId: string;
  name: string;
  platform: string;
  agentVersion: string;
  publicKey: string;
  fingerprint: string;
  ownerKeyId: string;
  mode: 'normal' | 'stolen';
  status: DeviceStatus;
  createdAt: number;
  modeChangedAt: number;
}
