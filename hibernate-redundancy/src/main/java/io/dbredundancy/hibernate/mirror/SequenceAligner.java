package io.dbredundancy.hibernate.mirror;

import io.dbredundancy.hibernate.DatabaseUrl;
import io.dbredundancy.hibernate.Node;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * The switch-time sequence alignment, shared by the journal modes and {@code mirror.mode=native} (logical replication
 * does not carry sequence values): before sessions use the node a switch went to, its sequences and identity columns
 * move past the ids its own rows hold, and past the other node's sequences when that node answers, so that no insert
 * there hits a duplicate key. Best effort: a failure is logged and counted as nothing moved.
 */
public final class SequenceAligner {

    private static final System.Logger LOG = System.getLogger("io.dbredundancy.hibernate.mirror");

    private SequenceAligner() {
    }

    /**
     * Moves the sequences of {@code to} past its own rows' ids by {@code margin} allocation blocks of each generator.
     *
     * @param generators Hibernate's sequence generators as {@code [{"seq","table","column","pad"}]}
     * @return the number of sequences moved
     */
    public static int toOwnRows(DataSource to, Node node, String generators, long margin) {
        try (Connection dst = to.getConnection();
             PreparedStatement ps = dst.prepareStatement("SELECT redundancy_align_sequences_to_rows(?::jsonb, ?)")) {
            ps.setString(1, generators);
            ps.setLong(2, margin);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        } catch (SQLException e) {
            warnNotAligned(node, e);
            return 0;
        }
    }

    /** Moves the sequences of {@code to} past those of {@code other}; 0 when {@code other} does not answer. */
    public static int toOther(DataSource other, DataSource to, Node node) {
        String positions;
        try (Connection src = other.getConnection(); Statement st = src.createStatement();
             ResultSet rs = st.executeQuery("SELECT redundancy_sequence_positions()::text")) {
            rs.next();
            positions = rs.getString(1);
        } catch (SQLException e) {
            return 0; // the other node is down: the rows it sent are all we know
        }
        try (Connection dst = to.getConnection();
             PreparedStatement ps = dst.prepareStatement("SELECT redundancy_align_sequences(?::jsonb)")) {
            ps.setString(1, positions);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        } catch (SQLException e) {
            warnNotAligned(node, e);
            return 0;
        }
    }

    private static void warnNotAligned(Node to, SQLException e) {
        LOG.log(System.Logger.Level.WARNING, "[DB-Redundancy] Could not align the sequences of " + to.id()
                + " at the switch: " + DatabaseUrl.mask(String.valueOf(e.getMessage())));
    }
}
