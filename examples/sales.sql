-- Example data for the local stack, from a second terminal while it runs:
--   python -m athena_jwt_dbapi.local seed examples/sales.sql
CREATE TABLE sales AS
SELECT *
FROM (
    VALUES
        ('eu', DATE '2024-03-01', DECIMAL '10.50'),
        ('us', DATE '2024-03-01', DECIMAL '20.25'),
        ('eu', DATE '2024-03-02', DECIMAL '4.00')
) AS t(region, day, amount);

INSERT INTO sales VALUES ('apac', DATE '2024-03-02', DECIMAL '7.10');
