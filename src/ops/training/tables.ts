/**
 * @module Staff training tables (see migrations.ts).
 */
import type { ColumnType, Generated } from 'kysely'

export type QuizQuestion = { prompt: string; choices: string[]; answer: number }

export interface TrainingTables {
  ops_training_modules: {
    id: Generated<string>
    title: string
    body: string
    quiz: ColumnType<QuizQuestion[], string, string>
    pass_mark: number
    created_by: string
    created_at: Date
  }
  ops_training_due: { module_id: string; role: string; due_on: string }
  ops_training_attempts: {
    id: Generated<string>
    module_id: string
    staff_id: string
    score: number
    passed: boolean
    at: Date
  }
  ops_training_drills: { id: Generated<string>; subject: string; created_by: string; created_at: Date }
  ops_training_drill_targets: {
    drill_id: string
    staff_id: string
    token_hash: string
    clicked_at: Date | null
    reported_at: Date | null
  }
}
