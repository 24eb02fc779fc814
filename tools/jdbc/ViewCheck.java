// tools/jdbc/ViewCheck.java — reads spm_payout's views the way a BI tool does
// (PostgreSQL JDBC driver): lists the views through DatabaseMetaData, reads
// every column's type through ResultSetMetaData and DatabaseMetaData, fetches
// every row (getObject on every column), and tries one write.
//
//   java -cp DIR:/usr/share/java/postgresql.jar ViewCheck JDBC-URL USER
//
// Prints one fact per line for tools/test_jdbc.sh to assert:
//   CONNECTED <product> <version> <driver version>
//   VIEWS <n>
//   COL <view> <column> <pg type> <java.sql.Types name> <java class>
//   MDCOL <view> <column> <java.sql.Types name from DatabaseMetaData.getColumns>
//   ROWS <view> <rows> <distinct values of column rep, comma-separated, or ->
//   DENIED <view> <SQLSTATE>
//   WRITE <SQLSTATE or OK>
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.DriverManager;
import java.sql.JDBCType;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.TreeSet;

public class ViewCheck {
    static String typeName(int t) {
        try {
            return JDBCType.valueOf(t).getName();
        } catch (IllegalArgumentException e) {
            return "UNKNOWN_" + t;
        }
    }

    static String quote(String ident) {
        return "\"" + ident.replace("\"", "\"\"") + "\"";
    }

    public static void main(String[] args) throws Exception {
        Properties p = new Properties();
        p.setProperty("user", args[1]);
        p.setProperty("ApplicationName", "spm ViewCheck");
        try (Connection c = DriverManager.getConnection(args[0], p)) {
            DatabaseMetaData md = c.getMetaData();
            System.out.println("CONNECTED " + md.getDatabaseProductName() + " " + md.getDatabaseProductVersion()
                               + " " + md.getDriverVersion().replace(' ', '_'));
            List<String> views = new ArrayList<>();
            try (ResultSet t = md.getTables(null, "spm_payout", "%", new String[] {"VIEW"})) {
                while (t.next()) {
                    views.add(t.getString("TABLE_NAME"));
                }
            }
            System.out.println("VIEWS " + views.size());
            for (String v : views) {
                try (ResultSet col = md.getColumns(null, "spm_payout", v, "%")) {
                    while (col.next()) {
                        System.out.println("MDCOL " + v + " " + col.getString("COLUMN_NAME") + " "
                                           + typeName(col.getInt("DATA_TYPE")));
                    }
                }
                try (Statement st = c.createStatement();
                     ResultSet rs = st.executeQuery("SELECT * FROM spm_payout." + quote(v))) {
                    ResultSetMetaData m = rs.getMetaData();
                    int repCol = 0;
                    for (int i = 1; i <= m.getColumnCount(); i++) {
                        System.out.println("COL " + v + " " + m.getColumnName(i) + " " + m.getColumnTypeName(i) + " "
                                           + typeName(m.getColumnType(i)) + " " + m.getColumnClassName(i));
                        if (m.getColumnName(i).equals("rep")) {
                            repCol = i;
                        }
                    }
                    long n = 0;
                    TreeSet<String> reps = new TreeSet<>();
                    while (rs.next()) {
                        n++;
                        for (int i = 1; i <= m.getColumnCount(); i++) {
                            rs.getObject(i);
                        }
                        if (repCol > 0) {
                            reps.add(String.valueOf(rs.getString(repCol)));
                        }
                    }
                    System.out.println("ROWS " + v + " " + n + " " + (reps.isEmpty() ? "-" : String.join(",", reps)));
                } catch (SQLException e) {
                    System.out.println("DENIED " + v + " " + e.getSQLState());
                }
            }
            try (Statement st = c.createStatement()) {
                st.executeUpdate("INSERT INTO spm_payout.plan (name) VALUES ('written through JDBC')");
                System.out.println("WRITE OK");
            } catch (SQLException e) {
                System.out.println("WRITE " + e.getSQLState());
            }
        }
    }
}
