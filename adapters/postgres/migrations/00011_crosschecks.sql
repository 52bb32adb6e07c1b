-- Where an application's credit code came from, so that the reviewers see
-- a code that is not the access catalog's (domain.Application.Flags):
--
-- * catalog_credit_code: what the catalog gave as the chosen enterprise's
--   code when the applicant chose it ('' when it had none);
-- * credit_code_typed: the applicant typed the code and confirmed it,
--   rather than it coming from the catalog.
--
-- Applications stored before this migration keep '' and false: no flag is
-- made up for them.
--
-- And attachments.source_sha256: the SHA-256 of the photo a document was
-- made from ('' for a PDF sent as it is), so that the same photo is not
-- taken for both documents (domain.Application.CheckAttachment).

-- +goose Up
ALTER TABLE applications ADD COLUMN catalog_credit_code text NOT NULL DEFAULT '';
ALTER TABLE applications ADD COLUMN credit_code_typed boolean NOT NULL DEFAULT false;
ALTER TABLE attachments ADD COLUMN source_sha256 text NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE attachments DROP COLUMN source_sha256;
ALTER TABLE applications DROP COLUMN credit_code_typed;
ALTER TABLE applications DROP COLUMN catalog_credit_code;
