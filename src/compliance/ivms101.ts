/**
 * @module The IVMS101 data model (interVASP Messaging Standard, IVMS101 v1, May 2020, the JSON
 * form of its published schema) as Zod schemas: persons (natural or legal), names, geographic
 * addresses, national identification, the originator and beneficiary with their account numbers,
 * the originating and beneficiary VASPs. Field names, enumerations and maximum lengths follow the
 * standard's data dictionary; its constraints C1–C11 that apply to one payload are checked too
 * (the rule number is named in each message). No package on the npm registry publishes the
 * interVASP JSON schema itself, so the schema's constraints are implemented here.
 */
import { z } from 'zod'

/** ISO 3166-1 alpha-2 (C3 ValidCountryCode; `XX` means "not known" in IVMS101). */
const country = z.string().regex(/^[A-Z]{2}$/, 'an ISO 3166-1 alpha-2 country code such as DE')
const text = (max: number) => z.string().trim().min(1).max(max)

export const naturalPersonNameTypes = ['ALIA', 'BIRT', 'MAID', 'LEGL', 'MISC'] as const
export const legalPersonNameTypes = ['LEGL', 'SHRT', 'TRAD'] as const
export const addressTypes = ['HOME', 'BIZZ', 'GEOG'] as const
export const nationalIdentifierTypes = [
  'ARNU',
  'CCPT',
  'RAID',
  'DRLC',
  'FIIN',
  'TXID',
  'SOCS',
  'IDCD',
  'LEIX',
  'MISC',
] as const
/** C7: a legal person's national identifier is one of these. */
const legalNationalIdentifierTypes = new Set(['RAID', 'MISC', 'LEIX', 'TXID'])

const naturalPersonNameId = z.strictObject({
  primaryIdentifier: text(100),
  secondaryIdentifier: text(100).optional(),
  nameIdentifierType: z.enum(naturalPersonNameTypes),
})

const naturalPersonName = z
  .strictObject({
    nameIdentifier: z.array(naturalPersonNameId).min(1).max(10),
    localNameIdentifier: z.array(naturalPersonNameId).max(10).optional(),
    phoneticNameIdentifier: z.array(naturalPersonNameId).max(10).optional(),
  })
  .refine((n) => n.nameIdentifier.some((i) => i.nameIdentifierType === 'LEGL'), {
    message: 'C6 NaturalPersonNameID: at least one name identifier must be of type LEGL',
    path: ['nameIdentifier'],
  })

const legalPersonNameId = z.strictObject({
  legalPersonName: text(100),
  legalPersonNameIdentifierType: z.enum(legalPersonNameTypes),
})

const legalPersonName = z
  .strictObject({
    nameIdentifier: z.array(legalPersonNameId).min(1).max(10),
    localNameIdentifier: z.array(legalPersonNameId).max(10).optional(),
    phoneticNameIdentifier: z.array(legalPersonNameId).max(10).optional(),
  })
  .refine((n) => n.nameIdentifier.some((i) => i.legalPersonNameIdentifierType === 'LEGL'), {
    message: 'C5 LegalNamePresent: at least one legal person name identifier must be of type LEGL',
    path: ['nameIdentifier'],
  })

export const geographicAddress = z
  .strictObject({
    addressType: z.enum(addressTypes),
    department: text(50).optional(),
    subDepartment: text(70).optional(),
    streetName: text(70).optional(),
    buildingNumber: text(16).optional(),
    buildingName: text(35).optional(),
    floor: text(70).optional(),
    postBox: text(16).optional(),
    room: text(70).optional(),
    postcode: text(16).optional(),
    townName: text(35),
    townLocationName: text(35).optional(),
    districtName: text(35).optional(),
    countrySubDivision: text(35).optional(),
    addressLine: z.array(text(70)).max(7).optional(),
    country,
  })
  .refine(
    (a) =>
      (a.addressLine?.length ?? 0) > 0 ||
      (a.streetName !== undefined && (a.buildingName !== undefined || a.buildingNumber !== undefined)),
    {
      message: 'C8 ValidAddress: give an addressLine, or a streetName with a buildingName or buildingNumber',
    },
  )

/** ISO 17442 LEI: 18 alphanumerics and two check digits (ISO 7064 MOD 97-10). */
export function isValidLei(lei: string): boolean {
  if (!/^[A-Z0-9]{18}[0-9]{2}$/.test(lei)) return false
  const digits = [...lei].map((c) => (/[0-9]/.test(c) ? c : String(c.charCodeAt(0) - 55))).join('')
  let rest = 0
  for (const d of digits) rest = (rest * 10 + Number(d)) % 97
  return rest === 1
}

const nationalIdentification = z
  .strictObject({
    nationalIdentifier: text(35),
    nationalIdentifierType: z.enum(nationalIdentifierTypes),
    countryOfIssue: country.optional(),
    registrationAuthority: z
      .string()
      .regex(/^RA[0-9]{6}$/, 'a GLEIF registration authority code such as RA000001')
      .optional(),
  })
  .superRefine((n, ctx) => {
    if (n.nationalIdentifierType === 'LEIX') {
      if (!isValidLei(n.nationalIdentifier))
        ctx.addIssue({ code: 'custom', message: 'C11 ValidLEI: not a valid ISO 17442 LEI' })
      if (n.countryOfIssue !== undefined || n.registrationAuthority !== undefined)
        ctx.addIssue({
          code: 'custom',
          message:
            'C9 CompleteNationalIdentifierLegalPerson: an LEI has no countryOfIssue or registrationAuthority',
        })
    }
  })

const dateInPast = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'a date as YYYY-MM-DD')
  .refine((d) => !Number.isNaN(Date.parse(d)) && Date.parse(d) < Date.now(), {
    message: 'C2 DateInPast: the date of birth must be in the past',
  })

export const naturalPerson = z.strictObject({
  name: naturalPersonName,
  geographicAddress: z.array(geographicAddress).max(10).optional(),
  nationalIdentification: nationalIdentification.optional(),
  customerIdentification: text(50).optional(),
  dateAndPlaceOfBirth: z.strictObject({ dateOfBirth: dateInPast, placeOfBirth: text(70) }).optional(),
  countryOfResidence: country.optional(),
})

export const legalPerson = z
  .strictObject({
    name: legalPersonName,
    geographicAddress: z.array(geographicAddress).max(10).optional(),
    customerNumber: text(50).optional(),
    nationalIdentification: nationalIdentification.optional(),
    countryOfRegistration: country.optional(),
  })
  .superRefine((p, ctx) => {
    const id = p.nationalIdentification
    if (id && !legalNationalIdentifierTypes.has(id.nationalIdentifierType))
      ctx.addIssue({
        code: 'custom',
        message: 'C7 LegalNationalIdentifierType: a legal person is identified by RAID, MISC, LEIX or TXID',
        path: ['nationalIdentification', 'nationalIdentifierType'],
      })
    if (id && id.nationalIdentifierType !== 'LEIX' && id.registrationAuthority === undefined)
      ctx.addIssue({
        code: 'custom',
        message: 'C10 RegistrationAuthority: give the registrationAuthority of a non-LEI identifier',
        path: ['nationalIdentification', 'registrationAuthority'],
      })
  })

/** Exactly one of a natural or a legal person. */
export const person = z.union([z.strictObject({ naturalPerson }), z.strictObject({ legalPerson })])
export type Ivms101Person = z.infer<typeof person>

const accountNumber = z.array(text(100)).max(10)

export const originator = z
  .strictObject({
    originatorPersons: z.array(person).min(1).max(10),
    accountNumber: accountNumber.optional(),
  })
  .superRefine((o, ctx) => {
    // C1 OriginatorInformationNaturalPerson: a natural originator carries an address, a customer
    // id, a national id or a date and place of birth.
    o.originatorPersons.forEach((p, i) => {
      if (!('naturalPerson' in p)) return
      const n = p.naturalPerson
      if (
        !(n.geographicAddress?.length ?? 0) &&
        !n.customerIdentification &&
        !n.nationalIdentification &&
        !n.dateAndPlaceOfBirth
      )
        ctx.addIssue({
          code: 'custom',
          message:
            'C1 OriginatorInformationNaturalPerson: give a geographic address, customer identification, national identification or date and place of birth',
          path: ['originatorPersons', i, 'naturalPerson'],
        })
    })
    // C4 OriginatorInformationLegalPerson: a legal originator carries an address, a customer
    // number or a national identification.
    o.originatorPersons.forEach((p, i) => {
      if (!('legalPerson' in p)) return
      const l = p.legalPerson
      if (!(l.geographicAddress?.length ?? 0) && !l.customerNumber && !l.nationalIdentification)
        ctx.addIssue({
          code: 'custom',
          message:
            'C4 OriginatorInformationLegalPerson: give a geographic address, customer number or national identification',
          path: ['originatorPersons', i, 'legalPerson'],
        })
    })
  })

export const beneficiary = z.strictObject({
  beneficiaryPersons: z.array(person).min(1).max(10),
  accountNumber: accountNumber.optional(),
})

/** The IVMS101 IdentityPayload exchanged between VASPs. */
export const identityPayload = z.strictObject({
  originator,
  beneficiary,
  originatingVASP: z.strictObject({ originatingVASP: person }),
  beneficiaryVASP: z.strictObject({ beneficiaryVASP: person }).optional(),
  payloadMetadata: z
    .strictObject({ transliterationMethod: z.array(z.string().max(4)).max(10).optional() })
    .optional(),
})
export type IdentityPayload = z.infer<typeof identityPayload>

/** The name a person goes by in a queue: the first LEGL name ("Secondary, Primary" for people). */
export function displayName(p: Ivms101Person): string {
  if ('naturalPerson' in p) {
    const ids = p.naturalPerson.name.nameIdentifier
    const n = ids.find((i) => i.nameIdentifierType === 'LEGL') ?? ids[0]!
    return n.secondaryIdentifier ? `${n.secondaryIdentifier} ${n.primaryIdentifier}` : n.primaryIdentifier
  }
  const ids = p.legalPerson.name.nameIdentifier
  return (ids.find((i) => i.legalPersonNameIdentifierType === 'LEGL') ?? ids[0]!).legalPersonName
}

/** A VASP as an IVMS101 legal person identified by its LEI (or a MISC id when it has none). */
export function vaspPerson(name: string, id: string, country: string): Ivms101Person {
  const lei = isValidLei(id)
  return {
    legalPerson: {
      name: { nameIdentifier: [{ legalPersonName: name, legalPersonNameIdentifierType: 'LEGL' }] },
      nationalIdentification: lei
        ? { nationalIdentifier: id, nationalIdentifierType: 'LEIX' }
        : { nationalIdentifier: id, nationalIdentifierType: 'MISC', registrationAuthority: 'RA999999' },
      countryOfRegistration: country,
    },
  }
}
