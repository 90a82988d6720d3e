# Side-by-side: R forecast package on M4 Weekly (frequency 1, as M4's own benchmarks), timed per model.
# Usage: Rscript r-forecast.R DATA_DIR OUT_CSV
suppressMessages(library(forecast))
args <- commandArgs(trailingOnly = TRUE)
dir <- args[1]; out <- args[2]; h <- 13
read_m4 <- function(path) {
  lines <- readLines(path)[-1]
  lapply(strsplit(lines, ","), function(cells) {
    cells <- gsub('"', '', cells)
    v <- suppressWarnings(as.numeric(cells[-1]))
    list(id = cells[1], y = v[!is.na(v)])
  })
}
train <- read_m4(file.path(dir, "Weekly-train.csv"))
models <- list(
  r_ets = function(y) forecast(ets(y), h = h, level = 95),
  r_thetaf = function(y) thetaf(y, h = h, level = 95),
  r_auto_arima = function(y) forecast(auto.arima(y), h = h, level = 95)
)
rows <- list(); times <- c()
for (name in names(models)) {
  t0 <- proc.time()[["elapsed"]]
  for (s in train) {
    f <- models[[name]](ts(s$y, frequency = 1))
    rows[[length(rows) + 1]] <- data.frame(id = s$id, model = name, step = 1:h, mean = as.numeric(f$mean),
                                           lower = as.numeric(f$lower[, 1]), upper = as.numeric(f$upper[, 1]))
  }
  times[name] <- proc.time()[["elapsed"]] - t0
  cat(name, times[name], "s\n", file = stderr())
}
write.csv(do.call(rbind, rows), out, row.names = FALSE)
write.csv(data.frame(model = names(times), seconds = as.numeric(times)), sub("\\.csv$", "-times.csv", out), row.names = FALSE)
