-- Personal data is erased from travellers whose loop closed longer ago than privacy.retain_days.
ALTER TABLE travellers ADD COLUMN erased_at timestamptz;
CREATE INDEX travellers_closed_received_idx ON travellers (received_at) WHERE erased_at IS NULL AND status = 'received';
CREATE INDEX travellers_closed_exception_idx ON travellers (exception_at) WHERE erased_at IS NULL AND status = 'exception';
