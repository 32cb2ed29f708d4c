/**
 * @module Serves the built React app (dist/web) and answers unknown paths: JSON 404 under /api and
 * for non-GET requests, the app's index.html for other GETs (client-side routes).
 */
import { existsSync } from 'node:fs'
import path from 'node:path'
import fastifyStatic from '@fastify/static'
import type { FastifyInstance } from 'fastify'

/** Installs the not-found handler; with `webDir`, also the static web app. */
export async function installWeb(app: FastifyInstance, webDir: string | undefined) {
  let serveApp = false
  if (webDir) {
    const root = path.resolve(webDir)
    if (!existsSync(path.join(root, 'index.html'))) {
      throw new Error(`The web app is not built (${root}/index.html is missing). Run: npm run build`)
    }
    await app.register(fastifyStatic, { root, prefix: '/', wildcard: false, index: ['index.html'] })
    serveApp = true
  }
  app.setNotFoundHandler((request, reply) => {
    const url = request.url.split('?')[0] ?? ''
    const isApi = url === '/api' || url.startsWith('/api/') || url.startsWith('/docs')
    if (!serveApp || request.method !== 'GET' || isApi || path.extname(url) !== '') {
      return reply.status(404).send({ code: 'NOT_FOUND', message: 'No such route.', requestId: request.id })
    }
    return reply.type('text/html').sendFile('index.html')
  })
}
