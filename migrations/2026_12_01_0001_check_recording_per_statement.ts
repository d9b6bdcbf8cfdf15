import { sql, type Kysely } from 'kysely';

// The foreign keys from epochs and predictions to recordings checked every row: one SPI lookup
// and row lock per epoch and per prediction, a third of PostgreSQL's cycles while ingesting
// (bench/RESULTS.notes.md, 2026-12-01). The same guarantee per statement instead:
// - writers name the recording through lock_recording_for_write, which share-locks its row once
//   (as the foreign key's check did, per row) and fails with foreign_key_violation when it is gone;
// - deleting a recording deletes its epochs and predictions, as ON DELETE CASCADE did.
// A recording deleted while a writer holds the lock waits for its commit and then takes its rows;
// a writer that comes second finds the recording gone and fails.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE FUNCTION lock_recording_for_write(recording uuid) RETURNS uuid LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM 1 FROM recordings WHERE id = recording FOR KEY SHARE;
      IF NOT FOUND THEN
        RAISE EXCEPTION 'recording % does not exist', recording USING ERRCODE = 'foreign_key_violation';
      END IF;
      RETURN recording;
    END $$`.execute(db);
  await sql`
    CREATE FUNCTION delete_recording_rows() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      DELETE FROM epochs WHERE recording_id = OLD.id;
      DELETE FROM predictions WHERE recording_id = OLD.id;
      RETURN OLD;
    END $$`.execute(db);
  await sql`
    CREATE TRIGGER recordings_delete_rows AFTER DELETE ON recordings
    FOR EACH ROW EXECUTE FUNCTION delete_recording_rows()`.execute(db);
  // Looked up rather than named: the names are PostgreSQL's defaults, not ours.
  await sql`
    DO $$ DECLARE c record; BEGIN
      FOR c IN SELECT conrelid::regclass AS tbl, conname FROM pg_constraint
               WHERE contype = 'f' AND confrelid = 'recordings'::regclass
                 AND conrelid IN ('epochs'::regclass, 'predictions'::regclass)
      LOOP
        EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', c.tbl, c.conname);
      END LOOP;
    END $$`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE epochs ADD CONSTRAINT epochs_recording_id_fkey FOREIGN KEY (recording_id) REFERENCES recordings (id) ON DELETE CASCADE`.execute(db);
  await sql`ALTER TABLE predictions ADD CONSTRAINT predictions_recording_id_fkey FOREIGN KEY (recording_id) REFERENCES recordings (id) ON DELETE CASCADE`.execute(db);
  await sql`DROP TRIGGER recordings_delete_rows ON recordings`.execute(db);
  await sql`DROP FUNCTION delete_recording_rows()`.execute(db);
  await sql`DROP FUNCTION lock_recording_for_write(uuid)`.execute(db);
}
