/**
 * @module The beneficiary name check of an inbound transfer: the beneficiary named in the IVMS101
 * data is compared with the name on the destination account's approved identity document. Names
 * are compared as sets of words after folding case and accents (and the ICAO 9303 spellings
 * Ä→AE, Ö→OE, Ü→UE, ß→SS that passports use in the MRZ), so the order of surname and given names
 * and an omitted middle name do not matter, while a different name does. A company named as the
 * beneficiary of a person's account does not match.
 */
import type { ApprovedIdentityName } from '../identity/index.ts'
import type { Ivms101Person } from './ivms101.ts'

/** `no_identity`: the account has no approved identity verification, so nothing to compare with. */
export type BeneficiaryNameCheck = 'match' | 'mismatch' | 'no_identity'

const ICAO: Record<string, string> = { Ä: 'AE', Ö: 'OE', Ü: 'UE', ß: 'SS', Æ: 'AE', Ø: 'OE', Å: 'AA' }

/** The words of a name: upper case, accents removed, anything but A-Z a separator. */
function words(name: string, icao: boolean): string[] {
  const upper = name.toUpperCase()
  const spelled = icao ? upper.replace(/[ÄÖÜßÆØÅ]/g, (c) => ICAO[c] ?? c) : upper
  return spelled
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .split(/[^A-Z]+/)
    .filter(Boolean)
}

/** Whether the words given for a person name the document's holder. */
function sameHolder(given: string[], doc: ApprovedIdentityName): boolean {
  const surname = words(doc.surname, false)
  const givenNames = words(doc.givenNames, false)
  const all = new Set([...surname, ...givenNames])
  const said = new Set(given)
  return (
    surname.length > 0 &&
    surname.every((w) => said.has(w)) &&
    (givenNames.length === 0 || givenNames.some((w) => said.has(w))) &&
    [...said].every((w) => all.has(w))
  )
}

/**
 * Whether one of the beneficiaries named in the transfer is the holder of the approved document.
 * @example beneficiaryNameMatches([{ naturalPerson: { name: { nameIdentifier: [{ primaryIdentifier: 'Müller', secondaryIdentifier: 'Anna', nameIdentifierType: 'LEGL' }] } } }], { surname: 'MUELLER', givenNames: 'ANNA MARIA' }) // true
 */
export function beneficiaryNameMatches(persons: Ivms101Person[], doc: ApprovedIdentityName): boolean {
  return persons.some((p) => {
    if (!('naturalPerson' in p)) return false
    return p.naturalPerson.name.nameIdentifier.some((n) => {
      const text = `${n.secondaryIdentifier ?? ''} ${n.primaryIdentifier}`
      return sameHolder(words(text, false), doc) || sameHolder(words(text, true), doc)
    })
  })
}
