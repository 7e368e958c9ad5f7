-- Wijkwerk store, version 7: personal data (AVG/GDPR). A contact gets its legal basis, the day
-- consent was given, where its data came from, and the day it was anonymised; a municipality
-- its retention period. Existing contacts are not filled in here: a value written without a
-- clock would live on this laptop only (the server and a new laptop would not have it), so an
-- empty legal basis reads as `publieke_taak` everywhere instead (docs/avg.md), and an empty
-- source as "not recorded".
ALTER TABLE contact ADD COLUMN legal_basis TEXT;
ALTER TABLE contact ADD COLUMN consent_date TEXT;
ALTER TABLE contact ADD COLUMN source TEXT;
ALTER TABLE contact ADD COLUMN anonymised_on TEXT;
ALTER TABLE area ADD COLUMN retention_days INTEGER;
