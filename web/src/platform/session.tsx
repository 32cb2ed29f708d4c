/**
 * @module Who is signed in, shared with every page through React context.
 */
import { createContext, type ReactNode, useCallback, useContext, useEffect, useState } from 'react'
import { ApiError, get } from './api.ts'

export type Me = {
  user: {
    id: string
    email: string
    kind: 'customer' | 'staff'
    role: string | null
    displayName: string
    status: string
  }
  permissions: string[]
}

type SessionState = { me: Me | null; loading: boolean; refresh(): Promise<void>; setMe(me: Me | null): void }

const SessionContext = createContext<SessionState>({
  me: null,
  loading: true,
  refresh: async () => {},
  setMe: () => {},
})

export function SessionProvider({ children }: { children: ReactNode }) {
  const [me, setMe] = useState<Me | null>(null)
  const [loading, setLoading] = useState(true)
  const refresh = useCallback(async () => {
    try {
      setMe(await get<Me>('/api/auth/me'))
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 401)) console.error(error)
      setMe(null)
    } finally {
      setLoading(false)
    }
  }, [])
  useEffect(() => {
    void refresh()
  }, [refresh])
  return <SessionContext.Provider value={{ me, loading, refresh, setMe }}>{children}</SessionContext.Provider>
}

export const useSession = () => useContext(SessionContext)
export const can = (me: Me | null, permission: string) => me?.permissions.includes(permission) ?? false
