/**
 * Accounting (RFC 2866): each verified Accounting-Request becomes an
 * `AccountingRecord` for the sink, and Start / Interim-Update / Stop are
 * kept per session (client + Acct-Session-Id) so a reader can list what is
 * open. Bounded: past `max` open sessions the oldest is forgotten (counted).
 */
import {
  STANDARD_ATTRIBUTES,
  VENDOR_ATTRIBUTES,
  AcctStatusType,
  RadiusAttributeType,
  attributeName,
  formatValue,
} from './dictionary.js';
import { attributeValue, integerValue, parseVendorSpecific, type RadiusPacket } from './packet.js';
import type { AccountingRecord, AccountingSession, RadiusEndpoint } from './server-options.js';

const text = new TextDecoder();

/** Every attribute by name (vendor sub-attributes by their vendor's names). */
export function namedAttributes(packet: RadiusPacket): AccountingRecord['attributes'] {
  const out: { name: string; value: string | number }[] = [];
  for (const attribute of packet.attributes) {
    if (attribute.type === RadiusAttributeType.VendorSpecific) {
      const vendor = parseVendorSpecific(attribute.value);
      if (vendor !== undefined) {
        for (const sub of vendor.subAttributes) {
          out.push({
            name: attributeName(sub.type, vendor.vendorId),
            value: formatValue(
              VENDOR_ATTRIBUTES.get(vendor.vendorId)?.get(sub.type)?.dataType,
              sub.value,
            ),
          });
        }
        continue;
      }
    }
    out.push({
      name: attributeName(attribute.type),
      value: formatValue(STANDARD_ATTRIBUTES.get(attribute.type)?.dataType, attribute.value),
    });
  }
  return out;
}

export class AccountingLedger {
  private readonly open = new Map<string, AccountingSession>();
  forgotten = 0;

  constructor(private readonly max: number) {}

  record(
    packet: RadiusPacket,
    client: string,
    from: RadiusEndpoint,
    now: number,
  ): AccountingRecord {
    const statusType = integerValue(attributeValue(packet, RadiusAttributeType.AcctStatusType));
    const sessionBytes = attributeValue(packet, RadiusAttributeType.AcctSessionId);
    const nameBytes = attributeValue(packet, RadiusAttributeType.UserName);
    const sessionId = sessionBytes === undefined ? undefined : text.decode(sessionBytes);
    const userName = nameBytes === undefined ? undefined : text.decode(nameBytes);
    return {
      at: now,
      client,
      from,
      statusType,
      sessionId,
      userName,
      attributes: namedAttributes(packet),
    };
  }

  /** Applies a record that the sink accepted. */
  apply(record: AccountingRecord): void {
    if (record.sessionId === undefined) return;
    const key = `${record.client}\u0000${record.sessionId}`;
    const existing = this.open.get(key);
    switch (record.statusType ?? 0) {
      case AcctStatusType.Start:
        this.open.delete(key);
        while (this.open.size >= this.max) {
          this.open.delete(this.open.keys().next().value as string);
          this.forgotten++;
        }
        this.open.set(key, {
          client: record.client,
          sessionId: record.sessionId,
          userName: record.userName,
          startedAt: record.at,
          updatedAt: record.at,
          interimUpdates: 0,
        });
        return;
      case AcctStatusType.InterimUpdate:
        if (existing !== undefined) {
          this.open.set(key, {
            ...existing,
            updatedAt: record.at,
            interimUpdates: existing.interimUpdates + 1,
          });
        }
        return;
      case AcctStatusType.Stop:
        this.open.delete(key);
        return;
      case AcctStatusType.AccountingOn:
      case AcctStatusType.AccountingOff:
        // The NAS restarted: every session it had is over.
        for (const [k, session] of this.open)
          if (session.client === record.client) this.open.delete(k);
        return;
    }
  }

  sessions(): AccountingSession[] {
    return [...this.open.values()];
  }
}
