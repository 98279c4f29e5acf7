-- Users a plan selects but refuses (listed as FAILED items, never moved), apart
-- from failures when the plan is applied.
ALTER TABLE realm_assignment_operations ADD COLUMN num_refused INTEGER NOT NULL DEFAULT 0;
