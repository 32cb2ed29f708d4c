/**
 * @module Staff security training: modules (text plus a short quiz with a pass mark) due by a date
 * per staff role, quiz attempts scored on the server (the answers never leave it), who is overdue,
 * and completion per role. A staff member is overdue when a module due for their role has passed
 * its date and they have no passing attempt.
 */
import { appendAudit } from '../../platform/audit.ts'
import type { Clock } from '../../platform/clock.ts'
import type { Db } from '../../platform/db/index.ts'
import { AppError, errors } from '../../platform/errors.ts'
import { staffRoles } from '../../platform/rbac.ts'
import type { QuizQuestion } from './tables.ts'

export type ModuleInput = {
  title: string
  body: string
  quiz: QuizQuestion[]
  passMark: number
  due: Array<{ role: string; dueOn: string }>
}

export type TrainingDeps = { db: Db; clock: Clock }

const today = (clock: Clock) => clock.now().toISOString().slice(0, 10)

/** Score of `answers` against `quiz`, in percent (rounded down). */
export function scoreQuiz(quiz: QuizQuestion[], answers: number[]): number {
  const right = quiz.filter((q, i) => answers[i] === q.answer).length
  return Math.floor((right * 100) / quiz.length)
}

/**
 * @example const training = createTraining({ db, clock })
 *          await training.attempt(staffId, role, moduleId, [0, 2, 1])
 */
export function createTraining({ db, clock }: TrainingDeps) {
  async function passedModuleIds(staffId: string): Promise<Set<string>> {
    const rows = await db
      .selectFrom('ops_training_attempts')
      .select('module_id')
      .where('staff_id', '=', staffId)
      .where('passed', '=', true)
      .execute()
    return new Set(rows.map((r) => r.module_id))
  }

  function assertQuiz(quiz: QuizQuestion[]) {
    for (const q of quiz) {
      if (q.answer >= q.choices.length) {
        throw new AppError(
          'TRAINING_QUIZ_INVALID',
          400,
          `The answer of "${q.prompt.slice(0, 60)}" must be one of its ${q.choices.length} choices (0-based).`,
        )
      }
    }
  }

  return {
    /** Every module as its authors edit it: text, quiz with the right answers, due date per role. */
    async all() {
      const modules = await db
        .selectFrom('ops_training_modules')
        .select(['id', 'title', 'body', 'quiz', 'pass_mark', 'created_at'])
        .orderBy('created_at', 'desc')
        .limit(500)
        .execute()
      const due = await db.selectFrom('ops_training_due').select(['module_id', 'role', 'due_on']).execute()
      return modules.map((m) => ({
        id: m.id,
        title: m.title,
        body: m.body,
        quiz: m.quiz,
        passMark: m.pass_mark,
        due: due
          .filter((d) => d.module_id === m.id)
          .map((d) => ({ role: d.role, dueOn: d.due_on }))
          .sort((a, b) => a.role.localeCompare(b.role)),
      }))
    },

    /**
     * Replaces a module's text, quiz, pass mark and due dates. Passing attempts already made stay
     * valid (the staff member passed the module as it was then).
     */
    async update(actorId: string, moduleId: string, input: ModuleInput): Promise<{ id: string }> {
      assertQuiz(input.quiz)
      return db.transaction().execute(async (tx) => {
        const row = await tx
          .updateTable('ops_training_modules')
          .set({
            title: input.title,
            body: input.body,
            quiz: JSON.stringify(input.quiz),
            pass_mark: input.passMark,
          })
          .where('id', '=', moduleId)
          .returning('id')
          .executeTakeFirst()
        if (!row) throw errors.notFound('Training module')
        await tx.deleteFrom('ops_training_due').where('module_id', '=', moduleId).execute()
        if (input.due.length > 0) {
          await tx
            .insertInto('ops_training_due')
            .values(input.due.map((d) => ({ module_id: moduleId, role: d.role, due_on: d.dueOn })))
            .execute()
        }
        await appendAudit(tx, {
          actor: `staff:${actorId}`,
          action: 'training.module_updated',
          target: `training_module:${moduleId}`,
          details: { title: input.title, passMark: input.passMark, due: input.due },
        })
        return { id: moduleId }
      })
    },

    async create(actorId: string, input: ModuleInput): Promise<{ id: string }> {
      assertQuiz(input.quiz)
      return db.transaction().execute(async (tx) => {
        const row = await tx
          .insertInto('ops_training_modules')
          .values({
            title: input.title,
            body: input.body,
            quiz: JSON.stringify(input.quiz),
            pass_mark: input.passMark,
            created_by: actorId,
            created_at: clock.now(),
          })
          .returning('id')
          .executeTakeFirstOrThrow()
        if (input.due.length > 0) {
          await tx
            .insertInto('ops_training_due')
            .values(input.due.map((d) => ({ module_id: row.id, role: d.role, due_on: d.dueOn })))
            .execute()
        }
        await appendAudit(tx, {
          actor: `staff:${actorId}`,
          action: 'training.module_created',
          target: `training_module:${row.id}`,
          details: { title: input.title, passMark: input.passMark, due: input.due },
        })
        return { id: row.id }
      })
    },

    /** The modules due for `role`, without the answers, with the caller's status. */
    async mine(staffId: string, role: string) {
      const rows = await db
        .selectFrom('ops_training_due as d')
        .innerJoin('ops_training_modules as m', 'm.id', 'd.module_id')
        .select(['m.id', 'm.title', 'm.body', 'm.quiz', 'm.pass_mark', 'd.due_on'])
        .where('d.role', '=', role)
        .orderBy('d.due_on')
        .orderBy('m.title')
        .execute()
      const passed = await passedModuleIds(staffId)
      const now = today(clock)
      return rows.map((r) => ({
        id: r.id,
        title: r.title,
        body: r.body,
        passMark: r.pass_mark,
        dueOn: r.due_on,
        status: passed.has(r.id)
          ? ('passed' as const)
          : r.due_on < now
            ? ('overdue' as const)
            : ('due' as const),
        questions: r.quiz.map((q) => ({ prompt: q.prompt, choices: q.choices })),
      }))
    },

    /** Scores an attempt on the server and records it; only modules due for the caller's role. */
    async attempt(staffId: string, role: string, moduleId: string, answers: number[]) {
      const module = await db
        .selectFrom('ops_training_modules as m')
        .innerJoin('ops_training_due as d', 'd.module_id', 'm.id')
        .select(['m.id', 'm.quiz', 'm.pass_mark'])
        .where('m.id', '=', moduleId)
        .where('d.role', '=', role)
        .executeTakeFirst()
      if (!module) throw errors.notFound('Training module')
      if (answers.length !== module.quiz.length) {
        throw new AppError(
          'TRAINING_ANSWERS_INVALID',
          400,
          `Answer every question: this quiz has ${module.quiz.length} questions, ${answers.length} answers were sent.`,
        )
      }
      const score = scoreQuiz(module.quiz, answers)
      const passed = score >= module.pass_mark
      await db.transaction().execute(async (tx) => {
        await tx
          .insertInto('ops_training_attempts')
          .values({ module_id: moduleId, staff_id: staffId, score, passed, at: clock.now() })
          .execute()
        await appendAudit(tx, {
          actor: `staff:${staffId}`,
          action: passed ? 'training.passed' : 'training.failed',
          target: `training_module:${moduleId}`,
          details: { score, passMark: module.pass_mark },
        })
      })
      return { score, passMark: module.pass_mark, passed }
    },

    /** True when a module due for `role` is past its date and `staffId` has not passed it. */
    async isOverdue(staffId: string, role: string): Promise<boolean> {
      const row = await db
        .selectFrom('ops_training_due as d')
        .select('d.module_id')
        .where('d.role', '=', role)
        .where('d.due_on', '<', today(clock))
        .where((eb) =>
          eb.not(
            eb.exists(
              eb
                .selectFrom('ops_training_attempts as a')
                .select('a.id')
                .whereRef('a.module_id', '=', 'd.module_id')
                .where('a.staff_id', '=', staffId)
                .where('a.passed', '=', true),
            ),
          ),
        )
        .executeTakeFirst()
      return row !== undefined
    },

    /** Per role: active staff, and how many have passed every module due for the role, and how many are overdue. */
    async completionByRole() {
      const staff = await db
        .selectFrom('users')
        .select(['id', 'role'])
        .where('kind', '=', 'staff')
        .where('status', '=', 'active')
        .execute()
      const due = await db.selectFrom('ops_training_due').select(['module_id', 'role', 'due_on']).execute()
      const passes = await db
        .selectFrom('ops_training_attempts')
        .select(['staff_id', 'module_id'])
        .where('passed', '=', true)
        .execute()
      const passed = new Set(passes.map((p) => `${p.staff_id}/${p.module_id}`))
      const now = today(clock)
      return staffRoles.map((role) => {
        const members = staff.filter((s) => s.role === role)
        const modules = due.filter((d) => d.role === role)
        let complete = 0
        let overdue = 0
        for (const m of members) {
          const missing = modules.filter((d) => !passed.has(`${m.id}/${d.module_id}`))
          if (missing.length === 0) complete++
          if (missing.some((d) => d.due_on < now)) overdue++
        }
        return { role, staff: members.length, modules: modules.length, complete, overdue }
      })
    },
  }
}
export type Training = ReturnType<typeof createTraining>
