DROP TABLE disinfections;
DROP TABLE handoff_travellers;
DROP TABLE handoffs;
DROP TABLE batch_travellers;
DROP TABLE travellers;
DROP TABLE crew_members;
DROP TABLE batches;
