/**
 * @module Test support: a real local EVM dev chain (Hardhat's EDR node, installed from npm) served
 * over HTTP JSON-RPC on 127.0.0.1, plus the small Solidity contracts the reserve tests deploy,
 * compiled with solc-js at test time. Used only by tests; never imported by src code.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import solc from 'solc'
import type { Abi, Hex } from 'viem'

type Provider = { request(args: { method: string; params?: unknown[] }): Promise<unknown> }

export type DevChain = { url: string; request: Provider['request']; close(): Promise<void> }

/** Starts an EDR node in-process and exposes it at `http://127.0.0.1:<random port>`. */
export async function startDevChain(): Promise<DevChain> {
  const { createHardhatRuntimeEnvironment } = await import('hardhat/hre')
  const hre = await createHardhatRuntimeEnvironment({})
  const connection = await hre.network.connect()
  const provider = connection.provider as unknown as Provider
  const server: Server = createServer((req, res) => {
    let body = ''
    req.on('data', (chunk: Buffer) => {
      body += chunk.toString('utf8')
    })
    req.on('end', () => {
      const handle = async (msg: { id: unknown; method: string; params?: unknown[] }) => {
        try {
          const args =
            msg.params === undefined ? { method: msg.method } : { method: msg.method, params: msg.params }
          return { jsonrpc: '2.0', id: msg.id, result: await provider.request(args) }
        } catch (cause) {
          const e = cause as { code?: number; message?: string; data?: unknown }
          return {
            jsonrpc: '2.0',
            id: msg.id,
            error: { code: e.code ?? -32000, message: e.message ?? 'error', data: e.data },
          }
        }
      }
      const parsed = JSON.parse(body) as Parameters<typeof handle>[0] | Parameters<typeof handle>[0][]
      const reply = Array.isArray(parsed) ? Promise.all(parsed.map(handle)) : handle(parsed)
      void reply.then((out) => {
        res.setHeader('content-type', 'application/json')
        res.end(JSON.stringify(out, (_k, v) => (typeof v === 'bigint' ? `0x${v.toString(16)}` : v)))
      })
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    request: (args) => provider.request(args),
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await connection.close()
    },
  }
}

/** Minimal contracts: an ERC-20 balance sheet, a Safe-like owner list, an ERC-1271 wallet. */
export const CONTRACTS_SOURCE = `// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.20;

contract MiniToken {
  mapping(address => uint256) public balanceOf;
  function mint(address to, uint256 amount) external { balanceOf[to] += amount; }
  function transfer(address to, uint256 amount) external returns (bool) {
    balanceOf[msg.sender] -= amount;
    balanceOf[to] += amount;
    return true;
  }
  function burnFrom(address from, uint256 amount) external { balanceOf[from] -= amount; }
}

contract MiniSafe {
  address[] private owners;
  uint256 private threshold;
  constructor(address[] memory o, uint256 t) { owners = o; threshold = t; }
  function getOwners() external view returns (address[] memory) { return owners; }
  function getThreshold() external view returns (uint256) { return threshold; }
  function setOwners(address[] calldata o) external { owners = o; }
}

contract Wallet1271 {
  address public owner;
  constructor(address o) { owner = o; }
  function isValidSignature(bytes32 hash, bytes calldata sig) external view returns (bytes4) {
    if (sig.length != 65) return 0xffffffff;
    bytes32 r;
    bytes32 s;
    uint8 v;
    assembly {
      r := calldataload(sig.offset)
      s := calldataload(add(sig.offset, 32))
      v := byte(0, calldataload(add(sig.offset, 64)))
    }
    return ecrecover(hash, v, r, s) == owner ? bytes4(0x1626ba7e) : bytes4(0xffffffff);
  }
}
`

export type Compiled = Record<'MiniToken' | 'MiniSafe' | 'Wallet1271', { abi: Abi; bytecode: Hex }>

/** Compiles CONTRACTS_SOURCE with the solc-js compiler shipped in the `solc` npm package. */
export function compileContracts(): Compiled {
  const input = {
    language: 'Solidity',
    sources: { 'Reserves.sol': { content: CONTRACTS_SOURCE } },
    settings: { evmVersion: 'paris', outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object'] } } },
  }
  const output = JSON.parse(solc.compile(JSON.stringify(input))) as {
    errors?: { severity: string; formattedMessage: string }[]
    contracts: Record<string, Record<string, { abi: Abi; evm: { bytecode: { object: string } } }>>
  }
  const fatal = (output.errors ?? []).filter((e) => e.severity === 'error')
  if (fatal.length > 0) throw new Error(fatal.map((e) => e.formattedMessage).join('\n'))
  const pick = (name: keyof Compiled) => {
    const c = output.contracts['Reserves.sol']?.[name]
    if (!c) throw new Error(`solc produced no ${name}`)
    return { abi: c.abi, bytecode: `0x${c.evm.bytecode.object}` as Hex }
  }
  return { MiniToken: pick('MiniToken'), MiniSafe: pick('MiniSafe'), Wallet1271: pick('Wallet1271') }
}
