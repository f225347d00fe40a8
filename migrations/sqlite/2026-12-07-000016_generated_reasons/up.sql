-- A reason the service writes itself (a no-show) is stored as a message of the catalogues,
-- {"code", "params"}, and shown in each reader's language; `exception_reason` keeps only what
-- people type.
ALTER TABLE travellers ADD COLUMN exception_message text;
UPDATE travellers
   SET exception_message = json_object(
         'code', 'did_not_board',
         'params', json_object('batch_code', substr(exception_reason, 21))),
       exception_reason = NULL
 WHERE exception_kind = 'no_show' AND exception_reason LIKE 'did not board batch %';
