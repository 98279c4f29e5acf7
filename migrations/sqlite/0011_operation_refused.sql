-- Users a plan selects but refuses (listed as FAILED items, never moved), apart
-- from failures when the plan is applied.
ALTER TABLE realm_assignment_operations ADD COLUMN num_refused INTEGER NOT NULL DEFAULT 0;
-- When the plan was complete: NULL while it is being made (it cannot start then).
ALTER TABLE realm_assignment_operations ADD COLUMN planned TEXT;
