-- The bulk path COPYs positions without `received_at`: the arrival time is the transaction's.
ALTER TABLE positions ALTER COLUMN received_at SET DEFAULT now();
