import path from 'node:path'
import react from '@vitejs/plugin-react'
import { defineConfig } from 'vite'

// The web app is built into dist/web and served by the Bulwark server itself (same origin, so
// cookies, CSRF and CSP need no cross-origin exceptions).
export default defineConfig({
  root: path.resolve(import.meta.dirname),
  plugins: [react()],
  build: {
    outDir: path.resolve(import.meta.dirname, '../dist/web'),
    emptyOutDir: true,
    sourcemap: false,
    // The large chunks are loaded on demand only (the EVM decoder on the guard page); the entry
    // chunk stays small. Password strength is the server's verdict (/api/auth/password-check).
    chunkSizeWarningLimit: 1300,
  },
  server: { proxy: { '/api': 'http://localhost:8080' } },
})
