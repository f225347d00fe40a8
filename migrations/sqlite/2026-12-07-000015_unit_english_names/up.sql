-- Units carry an optional English name, used by notices, screens and files in English, Japanese
-- and Korean; Chinese ones use `name`.
ALTER TABLE units ADD COLUMN name_en text;
