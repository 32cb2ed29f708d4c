/**
 * @module In-process fan-out of security alerts to the pages a customer has open (Server-Sent
 * Events). One process serves every open page; a multi-instance deployment would put a broker here.
 */

export type LiveAlert = {
  id: string
  kind: string
  at: string
  title: string
  details: Record<string, unknown>
  antiPhishingCode: string | null
}

export type AlertHub = {
  subscribe(userId: string, listener: (alert: LiveAlert) => void): () => void
  publish(userId: string, alert: LiveAlert): void
  listeners(userId: string): number
}

export function createAlertHub(): AlertHub {
  const byUser = new Map<string, Set<(alert: LiveAlert) => void>>()
  return {
    subscribe(userId, listener) {
      let set = byUser.get(userId)
      if (!set) {
        set = new Set()
        byUser.set(userId, set)
      }
      set.add(listener)
      return () => {
        set.delete(listener)
        if (set.size === 0) byUser.delete(userId)
      }
    },
    publish(userId, alert) {
      for (const listener of byUser.get(userId) ?? []) listener(alert)
    },
    listeners(userId) {
      return byUser.get(userId)?.size ?? 0
    },
  }
}
