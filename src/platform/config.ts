/**
 * @module Configuration, parsed once from environment variables with Zod. A bad value stops
 * start-up with a message that names the variable and the form it expects.
 */
import { z } from 'zod'

const booleanFromEnv = z
  .enum(['true', 'false', '1', '0'], { message: 'expected true or false' })
  .transform((v) => v === 'true' || v === '1')

/** Every variable Bulwark reads, with its default. The README's configuration table mirrors this. */
export const configSchema = z.object({
  PORT: z.coerce.number({ message: 'expected a port number' }).int().min(0).max(65535).default(8080),
  HOST: z.string().min(1).default('127.0.0.1'),
  DATA_DIR: z.string().min(1).default('./data'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, { message: 'expected postgres://user:pass@host:port/db' })
    .optional(),
  PUBLIC_URL: z.url({ message: 'expected an absolute URL such as http://localhost:8080' }).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  SEED_DEMO: booleanFromEnv.default(true),
  SESSION_IDLE_MINUTES: z.coerce.number().int().min(1).max(10_080).default(30),
  SESSION_ABSOLUTE_HOURS: z.coerce.number().int().min(1).max(720).default(12),
  COOKIE_SECURE: booleanFromEnv.default(false),
  /**
   * Which reverse proxies' `X-Forwarded-*` to believe: `false` (none), `true` or a number N (the N
   * nearest hops; `true` = 1, so only the address the nearest proxy saw counts and entries a client
   * writes itself are ignored), or a comma-separated list of proxy addresses and CIDRs.
   */
  TRUST_PROXY: z
    .string()
    .max(1000)
    .transform((v, ctx): false | number | string[] => {
      const value = v.trim()
      if (value === 'false' || value === '0') return false
      if (value === 'true') return 1
      if (/^[0-9]{1,2}$/.test(value)) return Number(value)
      const list = value
        .split(',')
        .map((p) => p.trim())
        .filter(Boolean)
      if (list.length > 0 && list.every((p) => /^[0-9a-fA-F:.]+(\/[0-9]{1,3})?$/.test(p))) return list
      ctx.addIssue({
        code: 'custom',
        message: 'expected false, true, a hop count, or proxy addresses/CIDRs separated by commas',
      })
      return z.NEVER
    })
    .default(false),
  RATE_LIMIT_MAX: z.coerce.number().int().min(1).default(300),
  AUTH_RATE_LIMIT_MAX: z.coerce.number().int().min(1).default(10),
  BODY_LIMIT_BYTES: z.coerce.number().int().min(1024).default(1_048_576),
  /** A request's headers and body must arrive within this; slow or stalled uploads are cut off (408). */
  HTTP_REQUEST_TIMEOUT_SECONDS: z.coerce.number().int().min(1).max(3600).default(15),
  /** A request's headers must arrive within this (at most HTTP_REQUEST_TIMEOUT_SECONDS). */
  HTTP_HEADERS_TIMEOUT_SECONDS: z.coerce.number().int().min(1).max(3600).default(10),
  /** An idle keep-alive connection is closed after this. */
  HTTP_KEEP_ALIVE_SECONDS: z.coerce.number().int().min(1).max(3600).default(5),
  EXCHANGE_ID: z.string().min(1).max(64).default('bulwark-demo'),
  /**
   * EVM JSON-RPC endpoint the server reads reserve wallets from when it builds a proof-of-reserves round
   * (rows of chain `ethereum` in the reserves file); unset = CUSTODY_EVM_RPC_URL; neither = EVM reserves
   * cannot be verified.
   */
  POR_EVM_RPC_URL: z.url({ message: 'expected an absolute URL such as http://127.0.0.1:8545' }).optional(),
  /**
   * Esplora API (Blockstream esplora, mempool.space, electrs) the server reads Bitcoin reserve wallets from
   * when it builds a proof-of-reserves round (rows of chain `bitcoin`); unset = Bitcoin reserves cannot be verified.
   */
  POR_ESPLORA_URL: z
    .url({ message: 'expected an absolute URL such as https://blockstream.info/api' })
    .optional(),
  /**
   * The zk setup file (BWCRS1, docs/por-zk.md) the server's proving job uses; unset = staff cannot start
   * proving from the rounds page. Its SHA-256 is recorded with each proved round.
   */
  POR_ZK_SETUP_FILE: z.string().min(1).max(1024).optional(),
  SMTP_URL: z
    .string()
    .regex(/^smtps?:\/\//, { message: 'expected smtp://user:pass@host:port' })
    .optional(),
  MAIL_FROM: z.string().min(3).default('Bulwark <security@bulwark.local>'),
  /** 64 hex digits: AES-256-GCM key sealing TOTP seeds and API key secrets (see docs/accounts.md). */
  ACCOUNTS_SEALING_KEY: z
    .string()
    .regex(/^[0-9a-fA-F]{64}$/, { message: 'expected 64 hex digits (openssl rand -hex 32)' })
    .optional(),
  /** Ed25519 seed (64 hex digits) signing the audit log's tree heads; kept outside the database. */
  AUDIT_SIGNING_KEY: z
    .string()
    .regex(/^[0-9a-fA-F]{64}$/, { message: 'expected 64 hex digits (openssl rand -hex 32)' })
    .optional(),
  /** A file holding that seed as 64 hex digits (default when neither is set: DATA_DIR/audit-signing.key, generated). */
  AUDIT_SIGNING_KEY_FILE: z.string().min(1).max(4096).optional(),
  /** Wallet guard lists (comma-separated paths or URLs; see docs/guard.md), refreshed every GUARD_REFRESH_MINUTES. */
  GUARD_BLOCKLISTS: z.string().default(''),
  GUARD_ALLOWLISTS: z.string().default(''),
  /** JSON files of extra protected brands (`[{ name, tokens, domains, generic? }]`), added to ours. */
  GUARD_BRANDS: z.string().default(''),
  /** Extra link-shortener domains (comma-separated), added to ours: a feed entry for a whole one only warns. */
  GUARD_LINK_SHORTENERS: z.string().default(''),
  GUARD_TOKEN_LISTS: z.string().default(''),
  GUARD_ADDRESS_LISTS: z.string().default(''),
  /** JSON-RPC endpoints per chain (`1=https://…,8453=https://…`) so /api/guard/tx can tell plain accounts from contracts. */
  GUARD_RPC_URLS: z
    .string()
    .regex(/^$|^\d+=https?:\/\/[^,\s]+(,\d+=https?:\/\/[^,\s]+)*$/, {
      message: 'expected chainId=URL pairs separated by commas, e.g. 1=https://rpc.example/eth',
    })
    .default(''),
  GUARD_REFRESH_MINUTES: z.coerce.number().int().min(0).max(10_080).default(60),
  /** Load the lists Bulwark ships (MetaMask phishing config, Uniswap token list, OFAC addresses) next to the configured ones. */
  GUARD_DEFAULT_LISTS: booleanFromEnv.default(true),
  TRAINING_GATE: booleanFromEnv.default(false),
  /** Public feeds `bulwark guard update` and the server download: `name=kind:https://…` pairs, kind blocklist|allowlist|tokens|addresses. */
  GUARD_FEEDS: z
    .string()
    .max(8192)
    .regex(
      /^$|^[a-z0-9][a-z0-9_-]{0,39}=(blocklist|allowlist|tokens|addresses):https?:\/\/[^,\s]+(,[a-z0-9][a-z0-9_-]{0,39}=(blocklist|allowlist|tokens|addresses):https?:\/\/[^,\s]+)*$/,
      {
        message:
          'expected name=kind:URL pairs separated by commas, kind one of blocklist, allowlist, tokens, addresses',
      },
    )
    .default(''),
  /** Where downloaded feeds and their last good copies are kept (default DATA_DIR/guard-feeds). */
  GUARD_FEEDS_DIR: z.string().max(4096).default(''),
  /** Tranco-format CSV (rank,domain) of popular domains: never blocked by a heuristic alone. */
  GUARD_POPULAR_DOMAINS: z.string().max(8192).default(''),
  GUARD_RATE_LIMIT_MAX: z.coerce.number().int().min(1).default(120),
  /** Account xpub (`m/44'/60'/0'`) the EVM deposit addresses are derived from; the private key stays offline. */
  CUSTODY_EVM_XPUB: z
    .string()
    .regex(/^(xpub|tpub)[1-9A-HJ-NP-Za-km-z]{100,112}$/, {
      message: "expected an account xpub (m/44'/60'/0')",
    })
    .optional(),
  /** Account xpub/zpub (`m/84'/0'/0'`, or `m/86'/0'/0'` for P2TR) the Bitcoin deposit addresses are derived from. */
  CUSTODY_BTC_XPUB: z
    .string()
    .regex(/^(xpub|zpub|tpub|vpub)[1-9A-HJ-NP-Za-km-z]{100,112}$/, {
      message: "expected an account xpub or zpub (m/84'/0'/0')",
    })
    .optional(),
  CUSTODY_BTC_ADDRESS_TYPE: z.enum(['p2wpkh', 'p2tr']).default('p2wpkh'),
  /** EVM JSON-RPC endpoint the deposit watcher reads; unset = no watcher in the server. */
  CUSTODY_EVM_RPC_URL: z
    .url({ message: 'expected an absolute URL such as http://127.0.0.1:8545' })
    .optional(),
  /** ERC-20 contracts credited as deposits, `USDT=0x…,USDC=0x…`. */
  CUSTODY_EVM_TOKENS: z
    .string()
    .regex(/^$|^[A-Z0-9]{1,16}=0x[0-9a-fA-F]{40}(,[A-Z0-9]{1,16}=0x[0-9a-fA-F]{40})*$/, {
      message: 'expected ASSET=0xcontract pairs separated by commas, e.g. USDT=0xdAC1…1ec7',
    })
    .default(''),
  /** Confirmations before a deposit is credited, per asset. */
  CUSTODY_CONFIRMATIONS: z
    .string()
    .regex(/^[A-Z0-9]{1,16}=\d{1,4}(,[A-Z0-9]{1,16}=\d{1,4})*$/, {
      message: 'expected ASSET=N pairs separated by commas, e.g. ETH=12,USDT=12,BTC=3',
    })
    .default('ETH=12,USDT=12,USDC=12,BTC=3'),
  CUSTODY_EVM_POLL_SECONDS: z.coerce.number().int().min(1).max(3600).default(12),
  /** Hot-wallet private key (64 hex digits) signing small withdrawals in-process; never stored in the database. */
  CUSTODY_HOT_WALLET_KEY: z
    .string()
    .regex(/^(0x)?[0-9a-fA-F]{64}$/, { message: 'expected 64 hex digits (openssl rand -hex 32)' })
    .optional(),
  /** A file holding that key as 64 hex digits; used when CUSTODY_HOT_WALLET_KEY is unset. */
  CUSTODY_HOT_WALLET_KEY_FILE: z.string().min(1).max(4096).optional(),
  /** The cold wallet's address: offline-signed withdrawals must recover to it. */
  CUSTODY_COLD_WALLET_ADDRESS: z
    .string()
    .regex(/^0x[0-9a-fA-F]{40}$/, { message: 'expected an EVM address (0x + 40 hex digits)' })
    .optional(),
  /** How often the server signs, broadcasts and tracks approved withdrawals (needs CUSTODY_EVM_RPC_URL). */
  CUSTODY_WITHDRAWAL_POLL_SECONDS: z.coerce.number().int().min(1).max(3600).default(5),
  /** Distinct staff approvals (m of the roles holding custody.insurance.approve) an insurance-fund payout needs. */
  CUSTODY_INSURANCE_APPROVALS: z.coerce.number().int().min(1).max(10).default(2),
  /** A Pwned-Passwords-style range endpoint (`https://api.pwnedpasswords.com/range/`); unset = local lists only. */
  PASSWORD_BREACH_API: z
    .url({ message: 'expected an absolute URL such as https://api.pwnedpasswords.com/range/' })
    .optional(),
  PASSWORD_BREACH_TIMEOUT_MS: z.coerce.number().int().min(50).max(10_000).default(1500),
  PASSWORD_CHECK_RATE_LIMIT_MAX: z.coerce.number().int().min(1).default(30),
  /** Support SLA targets per priority: hours to the first response / to resolution. */
  SUPPORT_SLA_HOURS: z
    .string()
    .regex(/^(urgent|high|normal|low)=\d{1,4}\/\d{1,5}(,(urgent|high|normal|low)=\d{1,4}\/\d{1,5})*$/, {
      message: 'expected PRIORITY=FIRST/RESOLVE hour pairs, e.g. urgent=1/8,high=4/24,normal=8/72,low=24/168',
    })
    .default('urgent=1/8,high=4/24,normal=8/72,low=24/168'),
  /** Requests per minute per client on the public bug-bounty report and support e-mail reply routes. */
  OPS_PUBLIC_RATE_LIMIT_MAX: z.coerce.number().int().min(1).default(5),
  /** 64 hex digits: AES-256-GCM key sealing identity document images, selfies and extracted fields. */
  IDENTITY_SEALING_KEY: z
    .string()
    .regex(/^[0-9a-fA-F]{64}$/, { message: 'expected 64 hex digits (openssl rand -hex 32)' })
    .optional(),
  /** Days after a verification is decided before its images are deleted (fields and decision stay). */
  IDENTITY_IMAGE_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(30),
  /** The youngest a customer may be, in years, by the date of birth on their document. */
  IDENTITY_MINIMUM_AGE: z.coerce.number().int().min(0).max(99).default(18),
  /** Largest identity upload (both images, base64 in JSON), in bytes. */
  IDENTITY_UPLOAD_MAX_BYTES: z.coerce.number().int().min(65_536).max(67_108_864).default(12_582_912),
  /** Compare the selfie with the document portrait on this machine (docs/identity.md, "Faces"). */
  IDENTITY_FACES: booleanFromEnv.default(false),
  /**
   * Camera names (exact, separated by commas) the liveness check accepts although they look like a
   * virtual camera; for browser tests with Chromium's fake camera (`fake_device_0`, or the path of the
   * video file it plays) only.
   */
  IDENTITY_LIVENESS_ACCEPT_CAMERAS: z
    .string()
    .max(1000)
    .transform((v) =>
      v
        .split(',')
        .map((p) => p.trim())
        .filter(Boolean),
    )
    .default([]),
  /** 64 hex digits: AES-256-GCM key encrypting backups (docs/data-protection.md); keep it outside DATA_DIR. */
  BACKUP_KEY: z
    .string()
    .regex(/^[0-9a-fA-F]{64}$/, { message: 'expected 64 hex digits (openssl rand -hex 32)' })
    .optional(),
  /** A file holding that key as 64 hex digits; used when BACKUP_KEY is unset. */
  BACKUP_KEY_FILE: z.string().min(1).max(4096).optional(),
  /** Where scheduled backups are written (default DATA_DIR/backups). */
  BACKUP_DIR: z.string().max(4096).default(''),
  /** Hours between scheduled backups in the server; 0 = no schedule (use `bulwark backup create`). */
  BACKUP_EVERY_HOURS: z.coerce.number().int().min(0).max(8760).default(0),
  /** How many scheduled backups to keep in BACKUP_DIR (older ones are deleted). */
  BACKUP_KEEP: z.coerce.number().int().min(1).max(10_000).default(14),
  /** 64 hex digits: key-encryption key wrapping the per-table data keys of personal-data fields. */
  DATA_KEK: z
    .string()
    .regex(/^[0-9a-fA-F]{64}$/, { message: 'expected 64 hex digits (openssl rand -hex 32)' })
    .optional(),
  /** A file holding that key as 64 hex digits; used when DATA_KEK is unset. */
  DATA_KEK_FILE: z.string().min(1).max(4096).optional(),
  /** Days after which IP addresses in stored sessions are encrypted (needs DATA_KEK) or, without a key, erased. */
  PERSONAL_DATA_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(30),
  /** This exchange's id in other VASPs' Travel Rule directories (its LEI when it has one). */
  TRAVEL_RULE_VASP_ID: z.string().min(1).max(64).default('bulwark-demo'),
  /** This exchange's legal name, sent as the IVMS101 originating/beneficiary VASP. */
  TRAVEL_RULE_VASP_NAME: z.string().min(1).max(100).default('Bulwark Demo Exchange'),
  /** Country of registration (ISO 3166-1 alpha-2), sent in IVMS101. */
  TRAVEL_RULE_COUNTRY: z
    .string()
    .regex(/^[A-Z]{2}$/, { message: 'expected an ISO 3166-1 alpha-2 code such as DE' })
    .default('DE'),
  /** 64 hex digits: Ed25519 secret key signing Travel Rule messages; unset = the protocol is off. */
  TRAVEL_RULE_SIGNING_KEY: z
    .string()
    .regex(/^[0-9a-fA-F]{64}$/, { message: 'expected 64 hex digits (openssl rand -hex 32)' })
    .optional(),
  /** Whose threshold applies to withdrawals (a key of TRAVEL_RULE_THRESHOLDS); unset = no Travel Rule step on withdrawals. */
  TRAVEL_RULE_JURISDICTION: z
    .string()
    .regex(/^[A-Z]{2}$/, { message: 'expected a code such as EU or US' })
    .optional(),
  /** Thresholds per jurisdiction, `JURISDICTION=AMOUNT CURRENCY` separated by commas. */
  TRAVEL_RULE_THRESHOLDS: z.string().max(2000).default('EU=0 EUR,US=3000 USD,CH=1000 CHF,SG=1500 SGD'),
  /** Reference prices to compare amounts with thresholds, `ASSET=PRICE CURRENCY`; no price = above threshold. */
  TRAVEL_RULE_PRICES: z
    .string()
    .max(2000)
    .default(
      'ETH=3000 USD,ETH=2800 EUR,ETH=2700 CHF,ETH=4000 SGD,BTC=60000 USD,BTC=56000 EUR,BTC=54000 CHF,BTC=80000 SGD,' +
        'USDT=1 USD,USDT=0.93 EUR,USDT=0.9 CHF,USDT=1.35 SGD,USDC=1 USD,USDC=0.93 EUR,USDC=0.9 CHF,USDC=1.35 SGD',
    ),
  /** How long to wait for a counterparty VASP's answer. */
  TRAVEL_RULE_TIMEOUT_SECONDS: z.coerce.number().int().min(1).max(120).default(10),
  /** `production` makes the secrets in productionSecretProblems a start-up error (src/main.ts). */
  NODE_ENV: z.string().max(40).optional(),
})

export type Config = z.infer<typeof configSchema>

export class ConfigError extends Error {
  readonly problems: string[]
  /** Stable code: CONFIG_INVALID, or SEALING_KEY_REQUIRED (see productionSecretProblems). */
  readonly code: string
  constructor(problems: string[], code = 'CONFIG_INVALID') {
    super(`Invalid configuration (${code}):\n${problems.map((p) => `  - ${p}`).join('\n')}`)
    this.name = 'ConfigError'
    this.problems = problems
    this.code = code
  }
}

/**
 * What a production install (NODE_ENV=production) lacks: without ACCOUNTS_SEALING_KEY or
 * IDENTITY_SEALING_KEY, secrets at rest would be sealed under a key derived from the public
 * EXCHANGE_ID (ASVS 13.3.1); without DATA_KEK (or DATA_KEK_FILE), people's emails and names, old IP
 * addresses and identity fields would be stored in clear (docs/data-protection.md). Elsewhere the
 * sealing-key gap is a start-up warning (src/main.ts).
 * @example const problems = productionSecretProblems(config) // [] when all three keys are set
 */
export function productionSecretProblems(
  config: Pick<
    Config,
    'NODE_ENV' | 'ACCOUNTS_SEALING_KEY' | 'IDENTITY_SEALING_KEY' | 'DATA_KEK' | 'DATA_KEK_FILE'
  >,
): string[] {
  if (config.NODE_ENV !== 'production') return []
  const problems = (['ACCOUNTS_SEALING_KEY', 'IDENTITY_SEALING_KEY'] as const)
    .filter((name) => !config[name])
    .map(
      (name) =>
        `${name} is not set, and NODE_ENV=production does not start with a sealing key derived from the public EXCHANGE_ID. Set it to 64 hex digits (openssl rand -hex 32), kept outside the database and DATA_DIR.`,
    )
  if (!config.DATA_KEK && !config.DATA_KEK_FILE)
    problems.push(
      "DATA_KEK is not set (nor DATA_KEK_FILE), and NODE_ENV=production does not start with people's emails and names stored in clear. Set it to 64 hex digits (openssl rand -hex 32), kept outside the database and DATA_DIR, then run `bulwark data encrypt-existing` once.",
    )
  return problems
}

/**
 * Parses configuration from an environment map (default: `process.env`). Empty strings count as
 * unset so `FOO= npm start` falls back to the default.
 * @example const config = loadConfig({ PORT: '9000' })
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const present = Object.fromEntries(
    Object.keys(configSchema.shape)
      .map((key) => [key, env[key]] as const)
      .filter(([, value]) => value !== undefined && value !== ''),
  )
  const parsed = configSchema.safeParse(present)
  if (parsed.success) return parsed.data
  throw new ConfigError(
    parsed.error.issues.map((issue) => {
      const name = String(issue.path[0] ?? '?')
      return `${name}=${JSON.stringify(present[name] ?? '')}: ${issue.message}`
    }),
  )
}
