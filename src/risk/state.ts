/**
 * @module Per-account state for the streaming engine, stored column-wise in typed arrays so a
 * million accounts fit in well under a gigabyte and a lookup costs no allocation. It keeps:
 * sliding-window counts and sums (1 min … 30 days, each window estimated from its current and
 * previous fixed bucket, the standard two-bucket approximation with error < one bucket's share),
 * amount baselines (EWMA of log value and variance, and a ring of recent values for quantiles),
 * novelty sets (recent devices, IPs, countries, counterparties as 32-bit hashes), the time of the
 * last security change and of the last new device, and exposure to risky addresses.
 */

export const MINUTE = 60_000
export const HOUR = 60 * MINUTE
export const DAY = 24 * HOUR

export const WINDOW_MS = { '1m': MINUTE, '1h': HOUR, '1d': DAY, '7d': 7 * DAY, '30d': 30 * DAY } as const
export type WindowName = keyof typeof WINDOW_MS

/** Which windows each metric keeps, and whether it sums amounts as well as counting. */
export const METRICS = {
  events: { windows: ['1m', '1h', '1d'], sum: false },
  auth_failed: { windows: ['1h', '1d'], sum: false },
  withdrawals: { windows: ['1h', '1d', '7d', '30d'], sum: true },
  deposits: { windows: ['1h', '1d', '30d'], sum: true },
  p2p: { windows: ['1h', '1d'], sum: true },
  security_changes: { windows: ['1d', '7d'], sum: false },
  new_counterparties: { windows: ['1d', '7d'], sum: false },
  new_devices: { windows: ['1d', '30d'], sum: false },
} as const satisfies Record<string, { windows: readonly WindowName[]; sum: boolean }>
export type MetricName = keyof typeof METRICS

type Slot = { metric: MetricName; window: WindowName; ms: number; offset: number; sum: boolean }

/** Layout of the window columns: per (metric, window) a bucket id, current and previous count (and sums). */
const SLOTS: Slot[] = []
let windowWidth = 0
for (const [metric, spec] of Object.entries(METRICS) as [MetricName, (typeof METRICS)[MetricName]][]) {
  for (const window of spec.windows) {
    SLOTS.push({ metric, window, ms: WINDOW_MS[window], offset: windowWidth, sum: spec.sum })
    windowWidth += spec.sum ? 5 : 3
  }
}
const SLOTS_BY_METRIC = new Map<MetricName, Slot[]>()
for (const s of SLOTS) SLOTS_BY_METRIC.set(s.metric, [...(SLOTS_BY_METRIC.get(s.metric) ?? []), s])
const SLOT_INDEX = new Map(SLOTS.map((s) => [`${s.metric}.${s.window}`, s]))
export type WindowSlot = Readonly<Slot>

/** Resolves a (metric, window) pair once, for `store.read`. */
export function windowSlot(metric: MetricName, window: WindowName): WindowSlot {
  const s = SLOT_INDEX.get(`${metric}.${window}`)
  if (!s) throw new Error(`no window ${window} for metric ${metric}`)
  return s
}

const NOVELTY = { device: 8, ip: 8, country: 4, counterparty: 16 } as const
export type NoveltyKind = keyof typeof NOVELTY
const NOVELTY_OFFSET: Record<NoveltyKind, number> = { device: 0, ip: 8, country: 16, counterparty: 20 }
const NOVELTY_WIDTH = 36
const RING = 8
const TYPE_SLOTS = 16

/** Scalar columns per account. */
const S_LAST_AT = 0
const S_FIRST_AT = 1
const S_SEC_AT = 2
const S_NEWDEV_AT = 3
const S_LOGMEAN = 4
const S_LOGVAR = 5
const S_AMOUNT_N = 6
const S_SURPRISE = 7
const S_SURPRISE_AT = 8
const S_EXPOSURE = 9
const S_MAX_WD = 10
const SCALARS = 11

/** FNV-1a 32-bit; 0 is reserved for "empty slot". */
export function hash32(s: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return h >>> 0 || 1
}

export type AccountStore = ReturnType<typeof createAccountStore>

type TypedArrayCtor = new (buffer: ArrayBuffer) => Float64Array | Uint32Array | Uint16Array | Uint8Array
/** Column layout fingerprint: a checkpoint only restores into a build with the same layout. */
const LAYOUT = `w${windowWidth}-s${SCALARS}-n${NOVELTY_WIDTH}-r${RING}-t${TYPE_SLOTS}`
export type AccountStoreSnapshot = {
  layout: string
  ids: string[]
  win: string
  sc: string
  nov: string
  novPos: string
  ring: string
  ringPos: string
  types: string
  prevType: string
}

/**
 * Creates an empty store. `capacity` is a hint; columns grow by doubling.
 * @example const store = createAccountStore(); const i = store.slot('acct-1')
 */
export function createAccountStore(capacity = 1024, from?: AccountStoreSnapshot) {
  const index = new Map<string, number>()
  const ids: string[] = []
  let cap = Math.max(16, capacity, from?.ids.length ?? 0)
  let win = new Float64Array(cap * windowWidth)
  let sc = new Float64Array(cap * SCALARS)
  let nov = new Uint32Array(cap * NOVELTY_WIDTH)
  let novPos = new Uint8Array(cap * 4)
  let ring = new Float64Array(cap * RING)
  let ringPos = new Uint32Array(cap)
  let types = new Uint16Array(cap * TYPE_SLOTS)
  let prevType = new Uint8Array(cap)
  const quantileScratch = new Float64Array(RING)
  if (from) {
    if (from.layout !== LAYOUT)
      throw new Error(`checkpoint layout ${from.layout} does not match this build (${LAYOUT})`)
    const n = from.ids.length
    const put = (dst: { set(a: ArrayLike<number>): void }, b64: string, Ctor: TypedArrayCtor) => {
      const buf = Buffer.from(b64, 'base64')
      dst.set(new Ctor(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength)))
    }
    put(win, from.win, Float64Array)
    put(sc, from.sc, Float64Array)
    put(nov, from.nov, Uint32Array)
    put(novPos, from.novPos, Uint8Array)
    put(ring, from.ring, Float64Array)
    put(ringPos, from.ringPos, Uint32Array)
    put(types, from.types, Uint16Array)
    put(prevType, from.prevType, Uint8Array)
    for (let i = 0; i < n; i++) {
      index.set(from.ids[i]!, i)
      ids.push(from.ids[i]!)
    }
  }

  function grow() {
    const next = cap * 2
    const w = new Float64Array(next * windowWidth)
    w.set(win)
    win = w
    const s = new Float64Array(next * SCALARS)
    s.set(sc)
    sc = s
    const n = new Uint32Array(next * NOVELTY_WIDTH)
    n.set(nov)
    nov = n
    const np = new Uint8Array(next * 4)
    np.set(novPos)
    novPos = np
    const r = new Float64Array(next * RING)
    r.set(ring)
    ring = r
    const rp = new Uint32Array(next)
    rp.set(ringPos)
    ringPos = rp
    const t = new Uint16Array(next * TYPE_SLOTS)
    t.set(types)
    types = t
    const pt = new Uint8Array(next)
    pt.set(prevType)
    prevType = pt
    cap = next
  }

  const store = {
    /** A copy of the whole state, JSON-safe, for checkpoints (`createAccountStore(0, snapshot)` restores it). */
    snapshot(): AccountStoreSnapshot {
      const n = ids.length
      const b64 = (a: Float64Array | Uint32Array | Uint16Array | Uint8Array, width: number) =>
        Buffer.from(a.buffer, a.byteOffset, n * width * a.BYTES_PER_ELEMENT).toString('base64')
      return {
        layout: LAYOUT,
        ids: [...ids],
        win: b64(win, windowWidth),
        sc: b64(sc, SCALARS),
        nov: b64(nov, NOVELTY_WIDTH),
        novPos: b64(novPos, 4),
        ring: b64(ring, RING),
        ringPos: b64(ringPos, 1),
        types: b64(types, TYPE_SLOTS),
        prevType: b64(prevType, 1),
      }
    },
    /** Number of accounts with state. */
    get size() {
      return ids.length
    },
    /** Bytes held by the typed-array columns (excluding the id map). */
    get columnBytes() {
      return (
        win.byteLength +
        sc.byteLength +
        nov.byteLength +
        novPos.byteLength +
        ring.byteLength +
        ringPos.byteLength +
        types.byteLength +
        prevType.byteLength
      )
    },
    /** The account's slot, created on first sight. */
    slot(account: string): number {
      let i = index.get(account)
      if (i === undefined) {
        i = ids.length
        if (i >= cap) grow()
        index.set(account, i)
        ids.push(account)
        sc[i * SCALARS + S_FIRST_AT] = Number.NaN
        sc[i * SCALARS + S_SEC_AT] = Number.NaN
        sc[i * SCALARS + S_NEWDEV_AT] = Number.NaN
        sc[i * SCALARS + S_LAST_AT] = Number.NaN
      }
      return i
    },
    find(account: string): number | undefined {
      return index.get(account)
    },
    accountAt(i: number): string {
      return ids[i]!
    },

    /** Adds one occurrence (and `amount`) at time `at` to every window of `metric`. */
    add(i: number, metric: MetricName, at: number, amount = 0) {
      const base = i * windowWidth
      for (const s of SLOTS_BY_METRIC.get(metric)!) {
        const o = base + s.offset
        const bucket = Math.floor(at / s.ms)
        const cur = win[o]!
        if (bucket > cur) {
          // roll: the current bucket becomes the previous one only if it is adjacent
          if (bucket === cur + 1) {
            win[o + 2] = win[o + 1]!
            if (s.sum) win[o + 4] = win[o + 3]!
          } else {
            win[o + 2] = 0
            if (s.sum) win[o + 4] = 0
          }
          win[o] = bucket
          win[o + 1] = 0
          if (s.sum) win[o + 3] = 0
        }
        win[o + 1] = win[o + 1]! + 1
        if (s.sum) win[o + 3] = win[o + 3]! + amount
      }
    },
    /** Sliding-window estimate of the count (or sum) of `metric` over `window`, as seen at `at`. */
    window(
      i: number,
      metric: MetricName,
      window: WindowName,
      at: number,
      what: 'count' | 'sum' = 'count',
    ): number {
      return store.read(i, windowSlot(metric, window), at, what)
    },
    /** Same as `window` with a slot resolved once by `windowSlot` (the hot path). */
    read(i: number, s: WindowSlot, at: number, what: 'count' | 'sum' = 'count'): number {
      const o = i * windowWidth + s.offset
      const bucket = Math.floor(at / s.ms)
      const cur = win[o]!
      const ci = what === 'sum' ? 3 : 1
      const pi = what === 'sum' ? 4 : 2
      if (what === 'sum' && !s.sum) throw new Error(`metric ${s.metric} keeps no sum`)
      const frac = (at - bucket * s.ms) / s.ms
      if (bucket === cur) return win[o + ci]! + win[o + pi]! * (1 - frac)
      if (bucket === cur + 1) return win[o + ci]! * (1 - frac)
      return 0
    },

    /** Remembers `value` in the novelty set `kind`; returns true when it was not among the recent ones. */
    remember(i: number, kind: NoveltyKind, value: string): boolean {
      const h = hash32(value)
      const size = NOVELTY[kind]
      const o = i * NOVELTY_WIDTH + NOVELTY_OFFSET[kind]
      for (let k = 0; k < size; k++) if (nov[o + k] === h) return false
      const p = i * 4 + (kind === 'device' ? 0 : kind === 'ip' ? 1 : kind === 'country' ? 2 : 3)
      const pos = novPos[p]!
      nov[o + (pos % size)] = h
      novPos[p] = (pos + 1) % size
      return true
    },
    /** True when the novelty set has no entries yet (first sighting is not "new" for a fresh account). */
    knowsNone(i: number, kind: NoveltyKind): boolean {
      const o = i * NOVELTY_WIDTH + NOVELTY_OFFSET[kind]
      for (let k = 0; k < NOVELTY[kind]; k++) if (nov[o + k] !== 0) return false
      return true
    },

    /** Updates the amount baselines with one positive value (EWMA of ln value, alpha 0.1; ring for quantiles). */
    observeAmount(i: number, value: number) {
      if (!(value > 0)) return
      const x = Math.log(value)
      const o = i * SCALARS
      const n = sc[o + S_AMOUNT_N]!
      if (n === 0) {
        sc[o + S_LOGMEAN] = x
        sc[o + S_LOGVAR] = 0
      } else {
        const alpha = Math.max(0.1, 1 / (n + 1))
        const d = x - sc[o + S_LOGMEAN]!
        sc[o + S_LOGMEAN] = sc[o + S_LOGMEAN]! + alpha * d
        sc[o + S_LOGVAR] = (1 - alpha) * (sc[o + S_LOGVAR]! + alpha * d * d)
      }
      sc[o + S_AMOUNT_N] = n + 1
      const rp = ringPos[i]!
      ring[i * RING + (rp % RING)] = value
      ringPos[i] = rp + 1
      if (value > sc[o + S_MAX_WD]!) sc[o + S_MAX_WD] = value
    },
    /** Amount baseline: count, EWMA mean and std of ln value, max seen. */
    amountBaseline(i: number) {
      const o = i * SCALARS
      return {
        n: sc[o + S_AMOUNT_N]!,
        logMean: sc[o + S_LOGMEAN]!,
        logStd: Math.sqrt(sc[o + S_LOGVAR]!),
        max: sc[o + S_MAX_WD]!,
      }
    },
    /** q-quantile (0..1) of the recent amounts (up to the last 8), NaN when none. */
    amountQuantile(i: number, q: number): number {
      const n = Math.min(ringPos[i]!, RING)
      if (n === 0) return Number.NaN
      // Insertion sort into a reused scratch row: no array, no typed-array view, no comparator call
      // per event (this runs on the withdrawal path, where allocation and generic builtins showed up
      // as the largest share of the risk step in a profile of bench/custody.ts).
      const o = i * RING
      for (let k = 0; k < n; k++) {
        const v = ring[o + k]!
        let j = k
        while (j > 0 && quantileScratch[j - 1]! > v) {
          quantileScratch[j] = quantileScratch[j - 1]!
          j--
        }
        quantileScratch[j] = v
      }
      return quantileScratch[Math.min(n - 1, Math.floor(q * n))]!
    },

    touch(i: number, at: number) {
      const o = i * SCALARS
      if (Number.isNaN(sc[o + S_FIRST_AT]!)) sc[o + S_FIRST_AT] = at
      sc[o + S_LAST_AT] = at
    },
    firstAt: (i: number) => sc[i * SCALARS + S_FIRST_AT]!,
    lastAt: (i: number) => sc[i * SCALARS + S_LAST_AT]!,
    securityChangedAt: (i: number) => sc[i * SCALARS + S_SEC_AT]!,
    markSecurityChange(i: number, at: number) {
      sc[i * SCALARS + S_SEC_AT] = at
    },
    newDeviceAt: (i: number) => sc[i * SCALARS + S_NEWDEV_AT]!,
    markNewDevice(i: number, at: number) {
      sc[i * SCALARS + S_NEWDEV_AT] = at
    },
    exposure: (i: number) => sc[i * SCALARS + S_EXPOSURE]!,
    raiseExposure(i: number, score: number) {
      if (score > sc[i * SCALARS + S_EXPOSURE]!) sc[i * SCALARS + S_EXPOSURE] = score
    },

    /** Sequence surprise accumulator, decayed with a 24 h half-life. */
    surprise(i: number, at: number): number {
      const o = i * SCALARS
      const v = sc[o + S_SURPRISE]!
      if (v === 0) return 0
      return v * 2 ** (-(at - sc[o + S_SURPRISE_AT]!) / DAY)
    },
    addSurprise(i: number, at: number, bits: number) {
      const o = i * SCALARS
      sc[o + S_SURPRISE] = store.surprise(i, at) + bits
      sc[o + S_SURPRISE_AT] = at
    },
    /** The account's own event-type counts (saturating) and its previous event type (code + 1, 0 = none). */
    typeCount: (i: number, code: number) => types[i * TYPE_SLOTS + code]!,
    typeTotal(i: number) {
      let t = 0
      for (let k = 0; k < TYPE_SLOTS; k++) t += types[i * TYPE_SLOTS + k]!
      return t
    },
    countType(i: number, code: number) {
      const o = i * TYPE_SLOTS + code
      if (types[o]! < 0xffff) types[o] = types[o]! + 1
    },
    prevType: (i: number) => prevType[i]! - 1,
    setPrevType(i: number, code: number) {
      prevType[i] = code + 1
    },
  }
  return store
}
