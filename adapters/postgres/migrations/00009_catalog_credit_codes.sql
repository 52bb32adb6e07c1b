-- What the catalog says about an enterprise's credit code must be true:
--
-- * credit_code_flagged marks a code that fails validation (in practice its
--   GB 32100 check character; some early genuine codes do). The import keeps
--   such a code and sets the flag, Search returns it, and the applicant and
--   the reviewers are shown that the code is doubtful. Rows imported before
--   this migration get the flag here, computed as domain.ParseCreditCode does.
-- * One credit code belongs to one enterprise. Codes that earlier imports
--   stored on several names are cleared on all of them: nothing tells which
--   name is right, and an applicant without a catalog code types it (and it
--   is checked). Importing the official list again puts back each code whose
--   row does not clash. The constraint is deferred so that an import may move
--   codes between names within its transaction.

-- +goose Up
ALTER TABLE catalog ADD COLUMN credit_code_flagged boolean NOT NULL DEFAULT false;

UPDATE catalog SET credit_code_flagged = true
WHERE credit_code IS NOT NULL AND (
    credit_code !~ '^[0-9A-HJ-NP-RTUWXY]{2}[0-9]{6}[0-9A-HJ-NP-RTUWXY]{10}$'
    OR substr(credit_code, 18, 1) <> substr('0123456789ABCDEFGHJKLMNPQRTUWXY',
        (31 - (SELECT sum((strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr(credit_code, i::int, 1)) - 1) * w)
               FROM unnest('{1,3,9,27,19,26,16,17,20,29,25,13,8,24,10,30,28}'::int[]) WITH ORDINALITY AS t (w, i)
              )::int % 31) % 31 + 1, 1)
);

UPDATE catalog SET credit_code = NULL, credit_code_flagged = false
WHERE credit_code IN (
    SELECT credit_code FROM catalog WHERE credit_code IS NOT NULL
    GROUP BY credit_code HAVING count(*) > 1
);

ALTER TABLE catalog
    ADD CONSTRAINT catalog_credit_code_key UNIQUE (credit_code) DEFERRABLE INITIALLY DEFERRED,
    ADD CONSTRAINT catalog_credit_code_flagged_check CHECK (credit_code IS NOT NULL OR NOT credit_code_flagged),
    ADD CONSTRAINT catalog_credit_code_check CHECK (credit_code <> '');

-- +goose Down
-- Codes cleared as duplicates stay cleared.
ALTER TABLE catalog
    DROP CONSTRAINT catalog_credit_code_check,
    DROP CONSTRAINT catalog_credit_code_flagged_check,
    DROP CONSTRAINT catalog_credit_code_key,
    DROP COLUMN credit_code_flagged;
