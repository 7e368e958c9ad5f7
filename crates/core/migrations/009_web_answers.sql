-- Wijkwerk store, version 9: answers from the department colleagues' web pages on the server.
-- An action point's history entry says where it was written (`via`: 'web' from those pages)
-- and may carry a proposed due date (kind 'due_date_proposal'; the coordinator decides).
-- The app lists the entries from the web this laptop has not shown yet (meta key
-- 'web_answers_seen'), in the order they arrived here (local_seq).
ALTER TABLE action_point_event ADD COLUMN proposed_due_date TEXT;
ALTER TABLE action_point_event ADD COLUMN via TEXT;
CREATE INDEX action_point_event_web ON action_point_event(local_seq) WHERE via = 'web';
