/**
 * @module `bulwark por prove | verify-zk`: prove a round's liabilities in zero knowledge (batches of users,
 * resumable, several batches at once) and verify the proofs: one user's batch or, for an auditor, the whole
 * chain. Exit 0 ok, 1 a check failed (the check is named).
 */
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { sha256 } from '@noble/hashes/sha2.js'
import { fromHex, parseProofFile, readSummary, userHash } from '../por/index.ts'
import {
  batchOf,
  checkSetupFits,
  checkUserInBatch,
  compileBatchCircuit,
  initHash,
  insecureTestSetup,
  openSetup,
  proveRound,
  readZkLeaves,
  type Setup,
  userLeaf,
  verifyZkRound,
  ZK_FILES,
  type ZkBatchFile,
  type ZkCheck,
  type ZkManifest,
  type ZkVerifyResult,
} from '../por/zk/index.ts'
import { printJson } from './output.ts'
import { type CliIo, UsageError } from './types.ts'
import { defineVerb, optionalCount, required } from './verb.ts'

/** A textual progress bar on stderr: `[#####-----] 12/40 batches, 30 s left`. */
function progressBar(io: CliIo, startedAt: number) {
  return (done: number, total: number, reused: number) => {
    const width = 30
    const filled = Math.round((width * done) / Math.max(1, total))
    const provedNow = done - reused
    const elapsed = (performance.now() - startedAt) / 1000
    const left = provedNow > 0 ? ((total - done) * elapsed) / provedNow : Number.NaN
    const eta = Number.isFinite(left) ? `, ${Math.ceil(left)} s left` : ''
    io.stderr(`\r[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${done}/${total} batches${eta}   `)
  }
}

function printZkChecks(io: CliIo, result: ZkVerifyResult, extra: ZkCheck[] = []) {
  const all = [...extra, ...result.checks]
  for (const c of all) io.stdout(`${c.ok ? 'ok  ' : 'FAIL'} ${c.name.padEnd(18)} ${c.detail}\n`)
}

export const proveVerb = defineVerb({
  summary: "Prove a round's liabilities in zero knowledge, batch by batch (resumable)",
  usage:
    '--round DIR --exchange ID (--setup FILE | --insecure-test-setup) [--batch N] [--cores N] [--out DIR] [--json]',
  description:
    'Cuts the leaves of a built round into batches of N, proves each batch (balances in [0, 2^64), per-asset sums, ' +
    'the batch root, the chain of running totals) with UltraHonk, and writes DIR/zk/ (manifest.json, vk.bin, ' +
    'batch-NNNNNN.json). Re-running after a crash keeps every finished batch. The operator needs the round secret ' +
    '(private.json), which derives the salts that hide the running totals.',
  examples: [
    'bulwark por prove --round data/por/2026-11 --exchange acme --setup /srv/ceremony/bn254.bwcrs --cores 2',
    'bulwark por prove --round /tmp/r --exchange test --insecure-test-setup --batch 4',
  ],
  options: {
    round: {
      type: 'string',
      valueName: 'DIR',
      description: 'A round directory built by `bulwark por build`.',
    },
    exchange: { type: 'string', valueName: 'ID', description: 'The EXCHANGE_ID bound into every proof.' },
    setup: {
      type: 'string',
      valueName: 'FILE',
      description: 'The ceremony setup file (its SHA-256 is published).',
    },
    'insecure-test-setup': {
      type: 'boolean',
      description: 'Generate and use a known-tau setup: INSECURE, TEST ONLY (anyone can forge proofs).',
    },
    batch: { type: 'string', valueName: 'N', description: 'Users per batch, a power of two (default 256).' },
    cores: { type: 'string', valueName: 'N', description: 'Batches proved at once (default 1).' },
    out: { type: 'string', valueName: 'DIR', description: 'Where to write the proofs (default DIR/zk).' },
    json: { type: 'boolean' },
  },
  async run({ values }, io) {
    const roundDir = required(values.round, '--round')
    const exchangeId = required(values.exchange, '--exchange')
    const batchSize = optionalCount(values.batch, '--batch') ?? 256
    const cores = optionalCount(values.cores, '--cores') ?? 1
    if (!values.setup === !values['insecure-test-setup'])
      throw new UsageError('give exactly one of --setup FILE or --insecure-test-setup')
    const privPath = join(roundDir, 'private.json')
    if (!existsSync(privPath))
      throw new UsageError(`${roundDir} has no private.json: proving needs the operator's round`)
    const secret = fromHex(
      (JSON.parse(readFileSync(privPath, 'utf8')) as { roundSecret: string }).roundSecret,
    )
    const { leaves, assets, roundId } = readZkLeaves(roundDir)
    const circuit = await compileBatchCircuit({ users: batchSize, assets: assets.length })
    let setup: Setup
    if (values.setup) setup = openSetup(values.setup)
    else {
      const { Barretenberg } = await import('@aztec/bb.js')
      const { gunzipSync } = await import('node:zlib')
      const api = await Barretenberg.new({ threads: 1, logger: () => {} })
      const [, size] = await api.acirGetCircuitSizes(
        gunzipSync(Buffer.from(circuit.bytecode, 'base64')),
        false,
        true,
      )
      await api.destroy()
      if (!values.json) io.stderr(`generating an INSECURE, TEST ONLY setup of ${size + 1} points (cached)…\n`)
      setup = insecureTestSetup(size + 1)
    }
    await checkSetupFits(circuit, setup)
    const outDir = values.out ?? join(roundDir, 'zk')
    const started = performance.now()
    const result = await proveRound({
      exchangeId,
      roundId,
      assets,
      leaves,
      secret,
      batchSize,
      setup,
      outDir,
      cores,
      ...(values.json ? {} : { onProgress: progressBar(io, started) }),
    })
    const m = result.manifest
    if (values.json) {
      printJson(io, {
        ok: true,
        dir: outDir,
        proved: result.proved,
        reused: result.reused,
        ms: result.ms,
        manifest: m,
      })
      return 0
    }
    io.stderr('\n')
    io.stdout(`round ${m.roundId}: ${m.leafCount} leaves in ${m.batches.length} batches of ${m.batchSize}\n`)
    io.stdout(`proved ${result.proved}, kept ${result.reused}, ${(result.ms / 1000).toFixed(1)} s\n`)
    io.stdout(`top root     ${m.topRoot}\nvk hash      ${m.vkHash}\nsetup hash   ${m.setupHash}\n`)
    if (m.setupInsecure) io.stdout('WARNING: INSECURE, TEST ONLY setup: these proofs prove nothing\n')
    return 0
  },
})

export const verifyZkVerb = defineVerb({
  summary:
    "Verify a round's zk proofs: one user's batch (--proof), one batch (--batch) or the whole chain (--all)",
  usage:
    '--zk DIR --exchange ID (--round DIR | --round-id ID) --setup FILE [--setup-hash HEX] [--vk-hash HEX] ' +
    '(--all | --batch N | --proof FILE) [--production] [--json]',
  description:
    'Checks the setup file against the published setup hash, recomputes the circuit and its verification key, ' +
    'checks the chain of totals commitments from zero to the published totals and the top tree, then verifies ' +
    "the batch proofs asked for. With --proof (a Merkle-sum proof file) it also finds the user's leaf commitment " +
    'in their batch. --setup-hash and --vk-hash pin the hashes the published round records ' +
    '(GET /api/por/rounds/ID/zk): a manifest naming another setup or key fails setup-hash or verification-key. ' +
    'Every check is named.',
  examples: [
    'bulwark por verify-zk --zk r/zk --exchange acme --round r --setup bn254.bwcrs --setup-hash 3f…a1 --all',
    'bulwark por verify-zk --zk r/zk --exchange acme --round r --setup bn254.bwcrs --proof me.bwpp',
    'bulwark por verify-zk --zk r/zk --exchange acme --round-id 2026-11 --setup bn254.bwcrs --setup-hash 3f…a1 --vk-hash 9c…07 --batch 0',
  ],
  options: {
    zk: {
      type: 'string',
      valueName: 'DIR',
      description: 'The zk directory (manifest.json, vk.bin, batch files).',
    },
    exchange: {
      type: 'string',
      valueName: 'ID',
      description: 'The exchange id the proofs must be bound to.',
    },
    round: {
      type: 'string',
      valueName: 'DIR',
      description: 'The published round (round.json: id and totals).',
    },
    'round-id': {
      type: 'string',
      valueName: 'ID',
      description: 'The round id, when round.json is not at hand.',
    },
    setup: { type: 'string', valueName: 'FILE', description: 'The setup file the round names.' },
    'setup-hash': {
      type: 'string',
      valueName: 'HEX',
      description: "The published setup hash (without it only the manifest's own hash is checked).",
    },
    'vk-hash': {
      type: 'string',
      valueName: 'HEX',
      description:
        "The published verification-key hash (the round's zk record); another key fails verification-key.",
    },
    all: { type: 'boolean', description: 'Verify every batch proof (auditor).' },
    batch: { type: 'string', valueName: 'N', description: 'Verify one batch proof.' },
    proof: {
      type: 'string',
      valueName: 'FILE',
      description: "A user's Merkle-sum proof: verify their batch.",
    },
    production: { type: 'boolean', description: 'Refuse a known-tau INSECURE test setup.' },
    json: { type: 'boolean' },
  },
  async run({ values }, io) {
    const dir = required(values.zk, '--zk')
    const summary = values.round ? readSummary(values.round) : undefined
    const roundId = summary?.roundId ?? required(values['round-id'], '--round or --round-id')
    const modes = [values.all, values.batch !== undefined, values.proof !== undefined].filter(Boolean).length
    if (modes !== 1) throw new UsageError('give exactly one of --all, --batch N or --proof FILE')
    if (values['setup-hash'] && !/^[0-9a-fA-F]{64}$/.test(values['setup-hash']))
      throw new UsageError('--setup-hash must be 64 hex digits')
    if (values['vk-hash'] && !/^[0-9a-fA-F]{64}$/.test(values['vk-hash']))
      throw new UsageError('--vk-hash must be 64 hex digits')
    await initHash()
    const manifest = JSON.parse(readFileSync(join(dir, ZK_FILES.manifest), 'utf8')) as ZkManifest
    const extra: ZkCheck[] = []
    let only: number | number[] | undefined
    if (values.batch !== undefined) only = optionalCount(values.batch, '--batch')
    if (values.proof) {
      const proof = parseProofFile(readFileSync(values.proof))
      if (proof.roundId !== roundId) {
        extra.push({
          name: 'proof-round',
          ok: false,
          detail: `the proof file is for round ${proof.roundId}, not ${roundId}`,
        })
      }
      if (proof.pieces.length === 0) throw new UsageError('the proof file has no piece')
      // A user split into several leaves (--split) has one leaf per piece, each in its own batch.
      only = []
      for (const piece of proof.pieces) {
        const batch = batchOf(piece.position, manifest.batchSize)
        only.push(batch)
        const leaf = userLeaf(
          userHash(sha256, piece.nonce, proof.userId),
          piece.balances.map((b) => b.equity),
        )
        const file = JSON.parse(readFileSync(join(dir, ZK_FILES.batch(batch)), 'utf8')) as ZkBatchFile
        extra.push(checkUserInBatch(file, manifest.batchSize, piece.position, leaf))
      }
    }
    const result = await verifyZkRound(
      dir,
      {
        exchangeId: required(values.exchange, '--exchange'),
        roundId,
        setupFile: required(values.setup, '--setup'),
        ...(values['setup-hash'] ? { setupHash: values['setup-hash'].toLowerCase() } : {}),
        ...(values['vk-hash'] ? { vkHash: values['vk-hash'].toLowerCase() } : {}),
        ...(summary ? { totals: summary.totals } : {}),
        ...(values.production ? { refuseInsecure: true } : {}),
      },
      only,
    )
    const ok = result.ok && extra.every((c) => c.ok)
    if (!values['setup-hash'])
      extra.push({
        name: 'setup-pin',
        ok: true,
        detail: "no --setup-hash: checked against the manifest's own setup hash only",
      })
    if (values.json) printJson(io, { ...result, ok, checks: [...extra, ...result.checks] })
    else {
      printZkChecks(io, result, extra)
      io.stdout(
        ok
          ? `\nround ${roundId}: ${result.batches.length} batch proof(s) verified in ${result.ms.toFixed(0)} ms\n`
          : `\nINVALID: ${[...extra, ...result.checks].find((c) => !c.ok)?.detail}\n`,
      )
    }
    return ok ? 0 : 1
  },
})

/** For `bulwark por audit DIR`: verifies DIR/zk when present (with the setup given), else says it is absent. */
export async function auditZk(
  dir: string,
  exchangeId: string | undefined,
  setupFile: string | undefined,
): Promise<ZkVerifyResult | undefined> {
  const zkDir = join(dir, 'zk')
  if (!existsSync(join(zkDir, ZK_FILES.manifest))) return undefined
  const manifest = JSON.parse(readFileSync(join(zkDir, ZK_FILES.manifest), 'utf8')) as ZkManifest
  if (!setupFile || !exchangeId) {
    const check = {
      name: 'zk-setup',
      ok: false,
      detail: 'the package has zk proofs: give --zk-setup FILE and --exchange ID',
    }
    return { ok: false, checks: [check], failed: check, batches: [], ms: 0 }
  }
  const summary = readSummary(dir)
  return verifyZkRound(zkDir, {
    exchangeId,
    roundId: summary.roundId,
    setupFile,
    setupHash: manifest.setupHash,
    totals: summary.totals,
  })
}
