/**
 * @module Password strength (0-4) by zxcvbn-ts with the common and English dictionaries: the same
 * estimator the web meter uses, scored once when a password is set, for the Security center.
 */
import { ZxcvbnFactory } from '@zxcvbn-ts/core'
import * as common from '@zxcvbn-ts/language-common'
import * as english from '@zxcvbn-ts/language-en'

let factory: ZxcvbnFactory | undefined

export function passwordScore(password: string, userInputs: string[] = []): number {
  factory ??= new ZxcvbnFactory({
    dictionary: { ...common.dictionary, ...english.dictionary },
    graphs: common.adjacencyGraphs,
    translations: english.translations,
  })
  return factory.check(password.slice(0, 128), userInputs).score
}
