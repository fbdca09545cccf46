SET HEADING OFF FEEDBACK OFF PAGESIZE 0 VERIFY OFF
SELECT 'LOG_MODE=' || log_mode || ' SUPP_ALL=' || supplemental_log_data_all FROM v$database;
SELECT 'PDB=' || open_mode FROM v$pdbs WHERE name = 'XEPDB1';
EXIT
