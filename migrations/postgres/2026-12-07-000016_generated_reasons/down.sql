UPDATE travellers
   SET exception_reason = 'did not board batch ' || (exception_message -> 'params' ->> 'batch_code')
 WHERE exception_message ->> 'code' = 'did_not_board';
ALTER TABLE travellers DROP COLUMN exception_message;
