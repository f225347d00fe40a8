UPDATE travellers
   SET exception_reason = 'did not board batch ' || json_extract(exception_message, '$.params.batch_code')
 WHERE json_extract(exception_message, '$.code') = 'did_not_board';
ALTER TABLE travellers DROP COLUMN exception_message;
