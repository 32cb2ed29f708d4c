/**
 * @module The in-process event bus. Domains publish what happened (sign-ins, security changes,
 * withdrawals, P2P orders); the risk engine subscribes. Handlers run after the publisher's work and
 * a failing handler never breaks the publisher.
 */

export type PlatformEvent = {
  /** Event type, e.g. `signin`, `password_changed`, `withdrawal_requested` (see docs/risk.md). */
  type: string
  /** ISO 8601 time of the event. */
  at: string
  /** The customer account the event concerns, when there is one. */
  account?: string
  [field: string]: unknown
}

export type EventHandler = (event: PlatformEvent) => void | Promise<void>

export function createEventBus(onError: (error: unknown) => void = () => {}) {
  const handlers = new Set<EventHandler>()
  return {
    subscribe(handler: EventHandler): () => void {
      handlers.add(handler)
      return () => handlers.delete(handler)
    },
    publish(event: PlatformEvent): void {
      for (const handler of handlers) {
        try {
          const result = handler(event)
          if (result instanceof Promise) result.catch(onError)
        } catch (error) {
          onError(error)
        }
      }
    },
  }
}
export type EventBus = ReturnType<typeof createEventBus>
