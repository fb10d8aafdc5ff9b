-- Bounded task retries (domain/tasks.ts, MAX_TASK_STEP_FAILURES): how many steps of a task failed for a reason other
-- than a store outage. A task that reaches the limit ends as failed instead of being taken up again for ever.
ALTER TABLE tasks ADD COLUMN failures INTEGER NOT NULL DEFAULT 0;
