-- Units carry a phone number shown on notices (a city's 24-hour hotline) and an address.
ALTER TABLE units ADD COLUMN hotline text;
ALTER TABLE units ADD COLUMN address text;
