/**
 * Registers every detector Vigil ships (side-effect imports). Import this once where detectors are
 * looked up by name (CLI, evaluation, server).
 */
import './default/default-detector.js';
import './family/stl-residual.js';
import './family/ensemble-vote.js';
import './family/calendar-regressor.js';
import './family/forecast-residual.js';
import './family/seasonal-cluster.js';
import './family/matrix-profile.js';
import './family/auto.js';
