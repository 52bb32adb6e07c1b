-- Earlier versions keep the ID number's keyed hash and masked copy (what
-- the review group's "what changed" compares and shows), not its
-- ciphertext: nothing reads an old version's number, and a ciphertext
-- there would tie every earlier version to the data key it was sealed
-- with, so that `regbot keys rewrap` could never let an old key go.
-- The append-only guard is lifted for this one statement.

-- +goose Up
ALTER TABLE application_versions DISABLE TRIGGER application_versions_no_update_delete;
UPDATE application_versions
SET snapshot = jsonb_set(snapshot, '{acc,id}', (snapshot #> '{acc,id}') - 'c' - 'k')
WHERE snapshot #> '{acc,id}' ?| array['c', 'k'];
ALTER TABLE application_versions ENABLE TRIGGER application_versions_no_update_delete;

-- +goose Down
-- The ciphertexts are gone; nothing to undo.
SELECT 1;
