/**
 * @module `bulwark risk …`: score accounts with the address-risk model, replay an event log
 * through the engine, backtest rules, and train the models. Output contracts are stable
 * (evaluations depend on them): score-accounts prints one JSON line per CSV row in order,
 * replay one decision line per event in order.
 */
import { createReadStream, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import {
  featureColumns,
  isHeldOut,
  loadAddressModel,
  parseCsv,
  readLabelledCsv,
  rowToFeatures,
  trainAddressModel,
} from '../risk/address-model.ts'
import {
  backtestRules,
  createRiskEngine,
  defaultRulesPath,
  loadBehaviourModel,
  loadRuleFile,
  parseRiskEvent,
  type RiskEvent,
  trainBehaviour,
} from '../risk/index.ts'
import { loadSeedLists } from '../risk/seeds.ts'
import { printJsonLine } from './output.ts'
import { type CliGroup, type CliIo, UsageError } from './types.ts'
import { defineVerb, required } from './verb.ts'

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
export const DEFAULT_MODELS_DIR = join(REPO_ROOT, 'models')
export const DEFAULT_ADDRESS_MODEL = join(DEFAULT_MODELS_DIR, 'address-rf.json')
export const DEFAULT_BEHAVIOUR_MODEL = join(DEFAULT_MODELS_DIR, 'behaviour.json')

function datasetsDir(io: CliIo): string {
  return io.env.BULWARK_DATASETS ?? resolve(REPO_ROOT, '../shared/datasets')
}

function readJson(path: string): unknown {
  if (!existsSync(path)) throw new UsageError(`file not found: ${path}`)
  return JSON.parse(readFileSync(path, 'utf8'))
}

async function* readEvents(path: string, onError: (line: number, message: string) => void) {
  if (!existsSync(path)) throw new UsageError(`file not found: ${path}`)
  const rl = createInterface({ input: createReadStream(path), crlfDelay: Number.POSITIVE_INFINITY })
  let line = 0
  for await (const text of rl) {
    line++
    if (!text.trim()) continue
    try {
      yield { line, event: parseRiskEvent(JSON.parse(text)) as RiskEvent }
    } catch (e) {
      const issues = (e as { issues?: { path: PropertyKey[]; message: string }[] }).issues
      const message = issues
        ? issues.map((i) => `${i.path.map(String).join('.') || 'event'}: ${i.message}`).join('; ')
        : e instanceof Error
          ? e.message
          : String(e)
      onError(line, message.slice(0, 300))
    }
  }
}

export const riskCommands: CliGroup = {
  summary: 'Risk monitoring: address scoring, event replay, rule backtests, model training',
  verbs: {
    'score-accounts': defineVerb({
      summary: 'Score accounts from a CSV of on-chain aggregate features (fraud dataset columns)',
      usage: '--in F.csv [--model M]',
      examples: ['bulwark risk score-accounts --in addresses.csv'],
      options: {
        in: {
          type: 'string',
          description: "CSV of on-chain aggregate features per address (the fraud dataset's columns).",
          valueName: 'F.csv',
        },
        model: {
          type: 'string',
          description: 'The address-risk model file (default: the bundled model).',
          valueName: 'M.json',
        },
      },
      async run({ values }, io) {
        const csvPath = required(values.in, '--in')
        const model = loadAddressModel(readJson(values.model ?? DEFAULT_ADDRESS_MODEL))
        if (!existsSync(csvPath)) throw new UsageError(`file not found: ${csvPath}`)
        const { header, rows } = parseCsv(readFileSync(csvPath, 'utf8'))
        const cols = featureColumns(header)
        if (cols.every((c) => c < 0)) {
          io.stderr('none of the model feature columns are in the CSV header\n')
          return 1
        }
        const addr = header.indexOf('Address')
        const batch = 512
        for (let start = 0; start < rows.length; start += batch) {
          const chunk = rows.slice(start, start + batch)
          const scores = model.scoreRows(chunk.map((r) => rowToFeatures(r, cols)))
          let out = ''
          scores.forEach((s, k) => {
            const line: Record<string, unknown> = { row: start + k + 1 }
            const a = addr >= 0 ? chunk[k]![addr]?.trim() : undefined
            if (a) line.address = a
            line.score = s.score
            line.label = s.label
            line.reasons = s.reasons.map((r) => r.text)
            out += `${JSON.stringify(line)}\n`
          })
          io.stdout(out)
        }
        io.stderr(`scored ${rows.length} rows with model ${model.version}\n`)
        return 0
      },
    }),

    replay: defineVerb({
      summary: 'Replay a JSON Lines event log through the engine; one decision line per event',
      usage: '--in events.jsonl [--rules R.json] [--behaviour M.json|none] [--seeds DIR]',
      examples: ['bulwark risk replay --in events.jsonl --behaviour none'],
      options: {
        in: {
          type: 'string',
          description: 'The events, one JSON object per line (risk event schema v1, docs/risk.md).',
          valueName: 'events.jsonl',
        },
        rules: {
          type: 'string',
          description: 'A rule file (default: the bundled rules).',
          valueName: 'R.json',
        },
        behaviour: {
          type: 'string',
          description: 'The behaviour model file, or none to switch it off.',
          valueName: 'M.json|none',
        },
        seeds: {
          type: 'string',
          description: 'A folder of labelled seed addresses for exposure propagation.',
          valueName: 'DIR',
        },
      },
      async run({ values }, io) {
        const eventsPath = required(values.in, '--in')
        const rules = loadRuleFile(values.rules ?? defaultRulesPath)
        const bPath = values.behaviour ?? DEFAULT_BEHAVIOUR_MODEL
        const behaviour =
          bPath !== 'none' && existsSync(bPath) ? loadBehaviourModel(readJson(bPath)) : undefined
        const seeds = values.seeds ? loadSeedLists(values.seeds) : undefined
        const engine = createRiskEngine({
          rules,
          ...(behaviour ? { behaviour } : {}),
          ...(seeds ? { seeds } : {}),
        })
        let bad = 0
        let buf = ''
        const flush = () => {
          if (buf) io.stdout(buf)
          buf = ''
        }
        for await (const { event } of readEvents(eventsPath, (line, message) => {
          bad++
          buf += `${JSON.stringify({ line, error: message })}\n`
        })) {
          buf += `${JSON.stringify(engine.ingest(event))}\n`
          if (buf.length > 65536) flush()
        }
        flush()
        const st = engine.stats()
        io.stderr(
          `replayed ${st.events} events, ${st.accounts} accounts: ${st.blocked} block, ${st.reviewed} review; rules ${engine.rulesVersion}; models ${JSON.stringify(engine.models)}${bad ? `; ${bad} invalid lines` : ''}\n`,
        )
        return bad ? 1 : 0
      },
    }),

    publish: defineVerb({
      summary: 'Publish a JSON Lines event log to NATS JetStream, partitioned by account',
      usage: '--in events.jsonl --nats URL [--partitions N]',
      examples: ['bulwark risk publish --in events.jsonl --nats nats://127.0.0.1:4222 --partitions 4'],
      options: {
        in: {
          type: 'string',
          description: 'The events, one JSON object per line.',
          valueName: 'events.jsonl',
        },
        nats: { type: 'string', description: 'The NATS server URL.', valueName: 'URL' },
        partitions: {
          type: 'string',
          description: 'How many partitions (accounts are hashed onto them).',
          valueName: 'N',
        },
      },
      async run({ values }, io) {
        if (!values.in || !values.nats) throw new UsageError('--in and --nats are required')
        const { connect } = await import('@nats-io/transport-node')
        const { ensureStreams, publishEvents } = await import('../risk/scaleout.ts')
        const nc = await connect({ servers: values.nats })
        try {
          await ensureStreams(nc)
          const events: RiskEvent[] = []
          for await (const { event } of readEvents(values.in, (line, m) => io.stderr(`line ${line}: ${m}\n`)))
            events.push(event)
          const n = await publishEvents(nc, events, Number(values.partitions ?? 4))
          io.stdout(`published ${n} events\n`)
          return 0
        } finally {
          await nc.close()
        }
      },
    }),

    worker: defineVerb({
      summary:
        'Run a scale-out worker: consume partitions from NATS JetStream, checkpoint state, publish decisions',
      usage: '--nats URL --partitions 0,2 --checkpoint DIR [--every N] [--behaviour M.json|none]',
      examples: [
        'bulwark risk worker --nats nats://127.0.0.1:4222 --partitions 0,2 --checkpoint /var/lib/bulwark/risk-0',
      ],
      options: {
        nats: { type: 'string', description: 'The NATS server URL.', valueName: 'URL' },
        partitions: {
          type: 'string',
          description: 'The partitions this worker consumes, comma-separated.',
          valueName: 'LIST',
        },
        checkpoint: {
          type: 'string',
          description: 'Folder where the worker checkpoints its state (resumes from it after a restart).',
          valueName: 'DIR',
        },
        every: { type: 'string', description: 'Checkpoint every N events.', valueName: 'N' },
        behaviour: {
          type: 'string',
          description: 'The behaviour model file, or none to switch it off.',
          valueName: 'M.json|none',
        },
      },
      async run({ values }, io) {
        if (!values.nats || !values.partitions || !values.checkpoint)
          throw new UsageError('--nats, --partitions and --checkpoint are required')
        const partitions = values.partitions.split(',').map((p) => Number(p))
        if (partitions.some((p) => !Number.isInteger(p) || p < 0))
          throw new UsageError('--partitions takes numbers, e.g. 0,2')
        const rules = loadRuleFile(defaultRulesPath)
        const bPath = values.behaviour ?? DEFAULT_BEHAVIOUR_MODEL
        const behaviour =
          bPath !== 'none' && existsSync(bPath) ? loadBehaviourModel(readJson(bPath)) : undefined
        const { connect } = await import('@nats-io/transport-node')
        const { ensureStreams, runWorker } = await import('../risk/scaleout.ts')
        const nc = await connect({ servers: values.nats })
        await ensureStreams(nc)
        const stop = new Promise<void>((resolve) => {
          process.once('SIGTERM', () => resolve())
          process.once('SIGINT', () => resolve())
        })
        io.stderr(`worker on partitions ${partitions.join(',')}\n`)
        await runWorker({
          nc,
          partitions,
          checkpointDir: values.checkpoint,
          checkpointEvery: Number(values.every ?? 1000),
          createEngine: (restore) =>
            createRiskEngine({ rules, ...(behaviour ? { behaviour } : {}), ...(restore ? { restore } : {}) }),
          stop,
        })
        await nc.close()
        return 0
      },
    }),

    backtest: defineVerb({
      summary: 'Backtest a rule file on stored history: alerts per rule and on which accounts',
      usage: '--rules R.json --in events.jsonl [--json]',
      examples: ['bulwark risk backtest --rules candidate-rules.json --in history.jsonl'],
      options: {
        rules: { type: 'string', description: 'The rule file to try.', valueName: 'R.json' },
        in: {
          type: 'string',
          description: 'The event history, one JSON object per line.',
          valueName: 'events.jsonl',
        },
        json: { type: 'boolean' },
      },
      async run({ values }, io) {
        if (!values.rules || !values.in) throw new UsageError('--rules and --in are required')
        const events: RiskEvent[] = []
        for await (const { event } of readEvents(values.in, () => {})) events.push(event)
        const report = backtestRules(loadRuleFile(values.rules), events)
        if (values.json) printJsonLine(io, report)
        else {
          io.stdout(`rules ${report.rulesVersion} over ${report.events} events\n`)
          for (const r of report.rules)
            io.stdout(
              `${r.rule.padEnd(32)} ${String(r.hits).padStart(7)} alerts on ${String(r.accounts).padStart(6)} accounts  top: ${r.topAccounts
                .slice(0, 3)
                .map((a) => `${a.account}(${a.hits})`)
                .join(' ')}\n`,
            )
        }
        return 0
      },
    }),

    train: defineVerb({
      summary: 'Train the address-risk and behaviour models; prints the training report',
      usage:
        '[--fraud-csv F.csv] [--all-rows] [--history events.jsonl] [--labels labels.json] [--out DIR] [--version V] [--trees N] [--only address|behaviour]',
      examples: [
        'bulwark risk train --fraud-csv ../shared/datasets/fraud/transaction_dataset.csv --only address',
      ],
      options: {
        'fraud-csv': {
          type: 'string',
          description: 'The labelled address dataset (Ethereum fraud detection CSV).',
          valueName: 'F.csv',
        },
        'all-rows': {
          type: 'boolean',
          description: 'Train on every row (no held-out split); for the shipped model only.',
        },
        history: {
          type: 'string',
          description: 'Event history for the behaviour model.',
          valueName: 'events.jsonl',
        },
        labels: {
          type: 'string',
          description: 'Account labels from resolved cases.',
          valueName: 'labels.json',
        },
        out: {
          type: 'string',
          description: 'Folder to write the models to (default: models/).',
          valueName: 'DIR',
        },
        version: {
          type: 'string',
          description: "The models' version label (default: today's date).",
          valueName: 'V',
        },
        trees: { type: 'string', description: 'Trees in the address-risk random forest.', valueName: 'N' },
        only: {
          type: 'string',
          description: 'Train only one model: address or behaviour.',
          valueName: 'MODEL',
        },
      },
      async run({ values }, io) {
        const out = values.out ?? DEFAULT_MODELS_DIR
        mkdirSync(out, { recursive: true })
        const stamp = new Date().toISOString().slice(0, 10)
        const version = values.version ?? stamp
        const report: Record<string, unknown> = {}
        if (values.only !== 'behaviour') {
          const csv = values['fraud-csv'] ?? join(datasetsDir(io), 'fraud/eth_fraud_accounts_train.csv')
          if (!existsSync(csv)) throw new UsageError(`fraud CSV not found: ${csv}`)
          const data = readLabelledCsv(readFileSync(csv, 'utf8'))
          // by default keep the evaluation split out, so `npm run eval:risk` judges rows never trained on
          const keep = data.X.map(
            (_, i) => values['all-rows'] || !data.addresses[i] || !isHeldOut(data.addresses[i]),
          )
          const X = data.X.filter((_, i) => keep[i])
          const y = data.y.filter((_, i) => keep[i])
          const file = trainAddressModel(X, y, {
            version: `address-rf-${version}`,
            ...(values.trees ? { trees: Number(values.trees) } : {}),
          })
          file.report.data = {
            source: csv.replace(REPO_ROOT, '.'),
            split: values['all-rows']
              ? 'all rows'
              : 'rows with sha256(address)[0] % 100 >= 20 (the rest is the evaluation split)',
            rows: X.length,
          }
          writeFileSync(join(out, 'address-rf.json'), JSON.stringify(file))
          report.address = { version: file.version, ...file.report }
        }
        if (values.only !== 'address') {
          let history: RiskEvent[] = []
          let source: string
          if (values.history) {
            for await (const { event } of readEvents(values.history, () => {})) history.push(event)
            history.sort((a, b) => a.at - b.at)
            source = values.history
          } else {
            // no platform history yet: train on the seeded synthetic normal traffic (documented in docs/risk.md)
            const { generateScenario } = await import('../../eval/scenarios/generate.ts')
            history = generateScenario({
              seed: 1,
              normalAccounts: 3000,
              takeovers: 6,
              mules: 2,
              days: 60,
              warmupDays: 40,
            }).events
            source = 'synthetic scenario seed 1 (eval/scenarios/generate.ts): 3000 normal accounts, 60 days'
          }
          // analyst resolutions (GET /api/risk/labels): accounts resolved as fraud are not "normal" history
          let excluded = 0
          if (values.labels) {
            const doc = readJson(values.labels) as { labels?: { account: string; label: string }[] }
            const fraud = new Set((doc.labels ?? []).filter((l) => l.label === 'fraud').map((l) => l.account))
            const before = history.length
            history = history.filter((e) => e.account === undefined || !fraud.has(e.account))
            excluded = before - history.length
          }
          const file = trainBehaviour(history, { version: `behaviour-${version}` })
          file.report.data = { source, eventsExcludedAsFraud: excluded }
          writeFileSync(join(out, 'behaviour.json'), JSON.stringify(file))
          report.behaviour = { version: file.version, ...file.report }
        }
        io.stdout(`${JSON.stringify(report, null, 2)}\n`)
        return 0
      },
    }),
  },
}
