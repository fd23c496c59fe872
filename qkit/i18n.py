"""Messages and number/date formats in Chinese (the default) and English."""

from __future__ import annotations

import datetime as dt
import math
import numbers
from typing import Any

DEFAULT_LANG = "zh"

MESSAGES: dict[str, tuple[str, str]] = {
    # problems with input; {allowed} and {detail} come from the Problem's params
    "file_missing": ("文件不存在", "file not found"),
    "is_folder": ("这是一个文件夹，不是自评文件；请给出 .yaml 文件", "this is a folder, not an assessment document; give a .yaml file"),
    "cannot_read": ("无法读取：{detail}", "cannot read: {detail}"),
    "too_big": ("文件过大（{size}），自评文件最大 {limit}", "the file is too large ({size}); a document may have at most {limit}"),
    "too_deep": ("第 {line} 行附近嵌套超过 {limit} 层；自评文件不需要这么多层，请检查缩进或括号",
                 "nested more than {limit} levels near line {line}; a document needs far fewer, check the indentation or brackets"),
    "too_many_values": ("内容展开后超过 {limit} 个值（YAML 别名 * 重复引用过多）；自评文件不需要别名，请写出内容本身",
                        "more than {limit} values once YAML aliases (*name) are expanded; a document needs no aliases, write the content itself"),
    "file_empty": ("文件为空，请填写评估内容或用 qkit new 生成模板", "the file is empty; fill it in or create a template with qkit new"),
    "not_utf8": ("文件不是 UTF-8 编码，请另存为 UTF-8 后重试", "the file is not UTF-8 encoded; save it as UTF-8 and try again"),
    "yaml_syntax": ("YAML 格式错误，第 {line} 行第 {column} 列附近：{detail}", "YAML syntax error near line {line}, column {column}: {detail}"),
    "not_mapping": ("应为“字段: 值”形式的映射", "must be a mapping of field: value"),
    "not_list": ("应为列表（每行以“- ”开头）", "must be a list (lines starting with '- ')"),
    "required": ("缺少必填字段", "this field is required"),
    "unknown_field": ("未知字段；允许的字段：{allowed}", "unknown field; allowed fields: {allowed}"),
    "too_long": ("文字过长（{n} 字），每处最多 {limit} 字", "too long ({n} characters); at most {limit} per field"),
    "not_text": ("应为文字", "must be text"),
    "not_number": ("应为数字", "must be a number"),
    "number_letter": ("应为数字；其中的字母 {letter} 看起来应是数字 {digit}",
                      "must be a number; the letter {letter} looks like it should be the digit {digit}"),
    "not_integer": ("应为整数", "must be a whole number"),
    "not_date": ("应为日期，格式 YYYY-MM-DD（例如 2026-10-15）", "must be a date as YYYY-MM-DD (e.g. 2026-10-15)"),
    "not_finite": ("应为有限的数字（不能是 NaN 或无穷大）", "must be a finite number (not NaN or infinity)"),
    "number_too_big": ("数值过大：应为有限的数字，绝对值不超过 {limit}", "too large: must be a finite number of at most {limit} either way"),
    "control_char": ("含有不可见的控制字符 {char}（常见于从 Word 粘贴的文字），Excel 无法保存；请删除该字符后重新输入",
                     "contains the invisible control character {char} (often pasted from Word), which Excel cannot store; remove it and type the text again"),
    "lone_surrogate": ("含有不完整的字符 {char}，无法保存；请重新输入这段文字", "contains the broken character {char}, which cannot be stored; type the text again"),
    "duplicate_key": ("字段 {name} 写了两次（第 {first} 行第 {first_column} 列，第 {second} 行第 {second_column} 列）；同一处每个字段只能写一次，请删除或合并其中一处",
                      "the field {name} is written twice (line {first}, column {first_column} and line {second}, column {second_column}); a field may appear once in its place, remove or merge one of them"),
    "format_version": ("不支持的格式版本；支持：{allowed}", "unsupported format version; supported: {allowed}"),
    "unknown_rubric": ("未知的评定标准；可选：{allowed}", "unknown rubric; choose one of: {allowed}"),
    "unknown_clause": ("该评定标准中没有此条款；可选：{allowed}", "no such clause in this rubric; choose one of: {allowed}"),
    "score_step": ("得分应为 0 到 100 之间 5 的倍数（0、5、10……100）", "the score must be a multiple of 5 from 0 to 100 (0, 5, 10 … 100)"),
    "unknown_factor": ("未知的评分因素；该条款的因素为：{allowed}", "unknown factor; this clause's factors are: {allowed}"),
    "factor_band": ("应为评分指南中的分数段之一：{allowed}", "must be one of the scoring-guideline bands: {allowed}"),
    "no_factors": ("个人奖指标不设因素评级，请删除此字段", "individual-award indicators have no factor ratings; remove this field"),
    "no_profile": ("个人奖没有“组织环境”部分，请删除此字段", "the individual award has no organizational profile; remove this field"),
    "unknown_prompt": ("组织环境的要点应为：{allowed}", "the profile's prompts are: {allowed}"),
    "better": ("应为 higher（越高越好）或 lower（越低越好）", "must be higher or lower"),
    "results_clause": ("指标应支持一个结果条款；可选：{allowed}", "a KPI must support a results clause; choose one of: {allowed}"),
    "kpi_no_values": ("该指标没有任何年度数据，请至少填写一年的数值", "this KPI has no values; enter at least one year"),
    "repeated": ("{message}（共 {n} 处：{places} 等）", "{message} ({n} places: {places} …)"),
    "year": ("年份应为四位数的年份（例如 2025）", "a year must be a four-digit year (e.g. 2025)"),
    "empty_text": ("内容为空，请填写或删除此行", "empty entry; fill it in or remove the line"),
    "no_rubrics": ("未找到任何评定标准文件（*.yaml）；已查找：{allowed}", "no rubric files (*.yaml) found; searched: {allowed}"),
    "rubric_invalid": ("评定标准文件有误：{detail}", "invalid rubric file: {detail}"),
    "output_exists": ("文件已存在；如需覆盖请加 --force", "file exists; add --force to overwrite"),
    "cannot_write": ("无法写入：{detail}", "cannot write: {detail}"),
    "disk_full": ("磁盘空间已满，无法写入；请清理磁盘或换一个位置", "the disk is full; free some space or write elsewhere"),
    "read_only": ("该位置只读，无法写入；请换一个可写的文件夹", "this location is read-only; choose a folder you can write to"),
    "permission_denied": ("没有写入或读取权限；请换一个文件夹或请管理员授权", "permission denied; choose another folder or ask for access"),
    "no_cjk_font": ("未找到中文字体，图表无法显示中文。请安装 Debian 软件包 fonts-noto-cjk（apt-get install fonts-noto-cjk）后重试",
                    "no CJK font found, so charts cannot show Chinese text; install the Debian package fonts-noto-cjk (apt-get install fonts-noto-cjk) and try again"),
    # the qkit command's last resort (qkit.cli)
    "command_crashed": ("qkit 出现意外错误，未能完成此操作。详细信息已记录在 {file}，请将该文件发给 qkit 的维护人员",
                        "qkit hit an unexpected error and could not finish. The details are in {file}: please send that file to qkit's maintainers"),
    "command_crashed_unlogged": ("qkit 出现意外错误，未能完成此操作；详细信息也无法写入 {file}（{detail}）",
                                 "qkit hit an unexpected error and could not finish; the details could not be written to {file} either ({detail})"),
    "interrupted": ("已中断", "interrupted"),
    # running reports (qkit.report, qkit.batch)
    "no_chromium": ("未找到 Chromium，未生成 PDF；安装 chromium 后即可生成（HTML 报告可直接打印）",
                    "Chromium not found, so no PDF; install chromium to get one (the HTML report prints as well)"),
    "pdf_failed": ("PDF 生成失败：{detail}", "PDF export failed: {detail}"),
    "kernel_died": ("报告模板的计算内核意外退出", "the report template's kernel died"),
    "run_timeout": ("报告模板运行超时（单个单元格超过 {seconds} 秒）", "the report template timed out (a cell ran over {seconds} s)"),
    "template_failed": ("报告模板运行出错：{detail}", "the report template failed: {detail}"),
    "unknown_audience": ("未知的报告对象；可选：{allowed}（applicant 为申报单位版，internal 为内部版）",
                         "unknown audience; choose one of: {allowed} (applicant: the applicant's edition, internal: the office's own)"),
    "template_no_edition": ("该报告模板没有 audience 和 bands_only 参数，不能生成申报单位版或只发布分数段的报告（它会照样显示内部数据）；请以 qkit 自带的 report.ipynb 为基础修改模板，或加 --audience internal",
                            "this report template has no audience and bands_only parameters, so it cannot make the applicant's edition or a bands-only report (it would show the internal data as it is); start your template from qkit's report.ipynb, or add --audience internal"),
    "independent_to_applicant": ("这是一位评审员的独立评审（评估阶段：{stage}），其评分不发给申报单位；请用共识文件生成申报单位版，或加 --audience internal",
                                 "this is one assessor's independent assessment (stage: {stage}), whose scores are not sent to the applicant; make the applicant's edition from the consensus document, or add --audience internal"),
    "kernel_failed": ("无法启动计算内核：{detail}", "cannot start the kernel: {detail}"),
    "worker_died": ("生成报告的工作进程意外退出", "the worker process making the report died"),
    "no_documents": ("目录中没有自评文件（*.yaml）", "no assessment documents (*.yaml) in this folder"),
    "same_stem": ("这些自评文件的报告会互相覆盖或覆盖汇总文件（同名不同扩展名，或名为 summary、cohort），请改名：{allowed}",
                  "these documents' reports would overwrite each other or the cohort summary (same name, or named summary or cohort); rename them: {allowed}"),
    "not_folder": ("应为文件夹", "must be a folder"),
    # the 自评报告's narrative and its limits (qkit.markup, qkit.narrative)
    "cite_kind": ("无法识别的引用：应写作 [[KPI:指标名称]]、[[图:指标名称]] 或 [[表:条款]]；可用的类型：{allowed}",
                  "unknown citation: write [[KPI:name]], [[FIG:name]] or [[TABLE:clause]]; the kinds are: {allowed}"),
    "cite_kpi": ("叙述引用的指标“{id}”不存在：请使用 results 中某项指标的名称（name）",
                 "the narrative cites the KPI “{id}”, which does not exist: use the name of a KPI in results"),
    "cite_table": ("叙述引用了“{id}”的指标表，但该条款没有指标数据；有指标表的条款：{allowed}",
                   "the narrative cites the KPI table of “{id}”, which has no KPIs; clauses with a table: {allowed}"),
    "cite_evidence": ("叙述引用的证据“{id}”不存在：请使用某份证据文件的编号（evidence_files 中的 number）；现有编号：{allowed}",
                      "the narrative cites the evidence “{id}”, which does not exist: use the number of an evidence file (number in evidence_files); numbers: {allowed}"),
    "cite_image": ("证据“{id}”不是图片（PNG 或 JPEG），不能作为插图放入叙述；可改用 [[证据:{id}]] 引用",
                   "the evidence “{id}” is not an image (PNG or JPEG) and cannot be placed as a figure; cite it as [[EVIDENCE:{id}]] instead"),
    "cite_image_inline": ("插图须单独占一行（一行只写 [[插图:编号]]）", "a placed image needs a line of its own (only [[IMAGE:number]] on it)"),
    "evidence_number": ("证据编号应为本条款所属条目 {item} 加序号，如 {next}", "an evidence number is the clause's item {item} and a place in it, such as {next}"),
    "evidence_number_twice": ("该证据编号已用于 {first}；每份证据的编号应唯一，可用 {next}",
                              "that evidence number is already used at {first}; each file has its own number, such as {next}"),
    "evidence_path": ("应为证据文件夹中的文件名或相对路径，不能以 / 开头，也不能含 ..",
                      "must be a file's name or path inside the evidence folder, not starting with / and without .."),
    "evidence_type": ("不接受这种文件；可作为证据的文件：{allowed}（文件名以 {endings} 结尾）",
                      "this kind of file is not accepted; evidence files may be {allowed} (names ending in {endings})"),
    "evidence_name": ("文件名过长：最多 {limit} 个字符", "the file's name is too long: at most {limit} characters"),
    "evidence_empty": ("文件是空的（0 字节）", "the file is empty (0 bytes)"),
    "evidence_too_big": ("文件大小 {size}，超过了每份证据 {limit} 的上限；请压缩或拆分后再上传",
                         "the file is {size}, over the limit of {limit} per evidence file; compress or split it and upload again"),
    "evidence_content": ("文件内容不是 {kind} 文件，与文件名不符；请上传原始文件", "the file's content is not a {kind} file as its name says; upload the original file"),
    "evidence_missing": ("证据 {number} 的文件不在证据文件夹中；请把文件放入该文件夹，或改正 evidence_files 中的 file",
                         "the file of evidence {number} is not in the evidence folder; put it there, or correct its file in evidence_files"),
    "evidence_folder_store": ("--evidence 只用于文档文件：存储中申报单位的证据文件随其申报保存在存储中",
                              "--evidence is for a document file: an applicant in the store keeps its evidence files there"),
    "evidence_total": ("该申报单位的证据文件已有 {held}，再加上此文件将超过每个申报单位 {limit} 的上限",
                       "this applicant's evidence files take {held} already; this one would take them past the limit of {limit} per applicant"),
    "evidence_no_store": ("证据文件在网页表单中上传并保存在其数据库中；文档文件的证据请放在证据文件夹中（qkit package --evidence）",
                          "evidence files are uploaded in the web form and kept in its store; a document file's evidence goes in its evidence folder (qkit package --evidence)"),
    "package_leads_only": ("只有负责人可以生成 Word 自评报告和申报材料包", "only the team lead makes the Word report and the application package"),
    "package_too_big_for_page": ("申报材料包有 {size}，超过网页可直接下载的 {limit}；请在服务器上运行 qkit package {id} -o 文件夹",
                                 "the application package is {size}, over the {limit} a page hands over; run qkit package {id} -o FOLDER on the server"),
    "evidence_sha256": ("应为 64 位十六进制的 SHA-256 摘要（由 qkit 填写）", "must be a SHA-256 digest of 64 hex digits (qkit fills it in)"),
    "limit_value": ("应为正整数（字数），或写 null 表示不限", "must be a positive whole number of words, or null for no limit"),
    "limit_key": ("未知的限制项；可用：{allowed}（或任一条目、条款编号）", "unknown limit; use one of {allowed} (or any item or clause id)"),
    "figure_value": ("应为 0 或正整数（每幅图计多少字）", "must be 0 or a positive whole number (the words each figure counts for)"),
    "limit_old_key": ("“{old}”是旧版字数限制文件的写法，已不再使用：全文请写 report（自评报告，含图表，不含组织概述，公开通知为 30000），"
                      "5.1 请写 overview（组织概述，单独计算，公开通知为 3000），每幅图计多少字写 figure；"
                      "条目、条款不再统一设限，其参考字数按分值由 report 推算，如需为某处设上限请写其编号（如 \"5.3.2\": 1500）。"
                      "可参照 qkit 自带的 limits.yaml 改写",
                      "“{old}” belongs to the earlier format of limits files and is no longer read: write report for the whole "
                      "self-assessment report (tables and figures included, the overview apart; 30000 in the published notices), "
                      "overview for 5.1 (counted apart; 3000), figure for the words each figure counts for; items and clauses "
                      "have no common limit any more, their guidance is worked out from report by their points, and an id "
                      "(\"5.3.2\": 1500) sets a limit for one place. The limits.yaml qkit ships shows the format"),
    "narrative_over": ("{where} 叙述 {n}/{limit} 字", "{where} narrative {n}/{limit} words"),
    "narrative_over_overview": ("{where} 组织概述 {n}/{limit} 字", "{where} organizational overview {n}/{limit} words"),
    "narrative_over_item": ("{where} 合计 {n}/{limit} 字", "{where} together {n}/{limit} words"),
    "narrative_over_total": ("自评报告（含图表）{n}/{limit} 字", "self-assessment report (tables and figures included) {n}/{limit} words"),
    # the store and the served workbooks (qkit.web.store, qkit.web.serve)
    "unknown_role": ("未知的角色；可选：{allowed}（lead 负责人，writer 撰写人，assessor 评审员）",
                     "unknown role; choose one of: {allowed}"),
    "unknown_item": ("该评定标准中没有这些条目或条款；可选：{allowed}", "no such item or clause in this standard; choose from: {allowed}"),
    "member_exists": ("该申报单位已有同名成员；请换一个名字，或用 qkit applicants relink 为其换新链接",
                      "this applicant already has a member of that name; choose another name, or renew their link with qkit applicants relink"),
    "unknown_member": ("没有此成员（或已撤销）；现有成员：{allowed}", "no such member (or revoked); members: {allowed}"),
    "unknown_applicant": ("没有此编号的申报单位；用 qkit applicants list 查看编号", "no applicant with this id; see qkit applicants list"),
    "unknown_revision": ("没有此版本；可选第 1 到第 {latest} 版", "no such revision; choose 1 to {latest}"),
    "merge_conflicts": ("{author} 刚保存的第 {latest} 版与本页在 {n} 处修改了同一内容：请在“需要选择的修改”中逐项选择保留哪一个。其余修改已合并，您的修改仍在本页",
                        "{author} just saved revision {latest}, which changed {n} of the same fields as this page: choose what to keep under “Changes to choose”. Everything else was merged; your edits are still on this page"),
    "not_your_item": ("您负责的是 {items}，这一部分由其他成员填写", "you write {items}; this part is written by another member"),
    "access_revoked": ("您的访问权限已被撤销，请联系负责人。本页在此之后输入的内容不会保存，可复制留存。",
                       "Your access has been withdrawn; please contact your team lead. What you typed since is not saved: copy it if you need it."),
    "not_your_document": ("以您的身份（{role}）不能修改申报材料", "your role ({role}) does not change the application"),
    "kpis_not_yours": ("未导入 {n} 项指标（{names}）：它们所属的条款由其他成员负责；您负责的是 {items}",
                       "{n} KPIs were not imported ({names}): their clauses are written by other members; you write {items}"),
    "unexpected_error": ("出了点问题，这一操作没有完成（已记录，便于管理员排查）。您的内容仍在本页，请重试或刷新页面。",
                         "Something went wrong and this action was not completed (it was logged for the administrator). Your work is still on this page: try again or reload."),
    "consensus_leads_only": ("只有负责人可以采用共识稿", "only the team lead adopts the consensus"),
    "audience_not_yours": ("{asked}的报告不对您开放；可选：{editions}", "the {asked} is not yours to make; choose: {editions}"),
    "restore_leads_only": ("只有负责人可以恢复历史版本", "only the team lead restores an earlier revision"),
    "assign_writers_only": ("只有撰写人有分工条目；{name} 是{role}",
                            "only writers are assigned items; {name} is a {role}"),
    "access_changed": ("您的分工已改为：{items}。页面已按新的分工更新，无需新链接。",
                       "Your assignment is now: {items}. The page has followed it: no new link is needed."),
    "assign_leads_only": ("只有负责人可以调整分工", "only the team lead assigns items"),
    "due_leads_only": ("只有负责人可以设定截止日期", "only the team lead sets due dates"),
    "unknown_due_target": ("没有这一项可设截止日期；可选：{allowed}", "nothing of that name has a due date; choose from: {allowed}"),
    "stale_revision": ("该申报单位已在其他窗口保存了更新版本（第 {latest} 版），本次修改未保存。请先复制您刚才的修改，刷新页面后再填入",
                       "a newer version (revision {latest}) was saved in another window, so this change was not saved. Copy your change, reload the page and enter it again"),
    "store_not_found": ("这里没有自评数据库；网页自评表只打开 qkit serve 所用的数据，不会新建", "there is no store here; a web workbook opens the store qkit serve uses and never makes one"),
    "store_empty": ("数据库文件为空（0 字节），可能已丢失或损坏，qkit 不会在其上新建数据库。请从备份恢复该文件；如确需从头开始，请先删除它",
                    "the database file is empty (0 bytes): it may have been lost or damaged, so qkit will not start a new one over it. Restore it from a backup, or delete it to start afresh"),
    "store_read_only": ("数据目录只读：可以查看和导出，但不能保存或修改", "the data folder is read-only: it can be read and exported, not changed"),
    "store_unreadable": ("无法使用数据库：{detail}", "cannot use the database: {detail}"),
    "store_newer": ("数据库由更新版本的 qkit 创建，本版本只支持第 {supported} 版格式，请升级 qkit",
                    "the database was made by a newer qkit; this version supports format {supported} only, please upgrade"),
    "not_storable": ("无法保存：{detail}", "cannot be saved: {detail}"),
    "access_denied": ("链接无效或不完整，无法打开自评表。请使用发给您的专属链接，并完整复制整个网址。",
                      "This link is invalid or incomplete, so no workbook can be opened. Use the personal link you were given and copy the whole address."),
    "no_workbooks": ("该目录中没有自评表（.ipynb 文件）", "no workbooks (.ipynb files) in this folder"),
    "data_in_workbooks": ("数据目录不能放在自评表目录内，否则可能经网页被访问；请换一个 --data 目录",
                          "the data directory must not lie inside the workbooks folder, where the web server could reach it; choose another --data"),
    "port_in_use": ("端口已被占用；请关闭占用该端口的程序，或用 --port 换一个端口", "the port is in use; stop the program using it or choose another with --port"),
    "port_unusable": ("无法使用该端口：{detail}；请用 --port 换一个端口（1024 以上）", "cannot use this port: {detail}; choose another with --port (above 1024)"),
    # the web form (qkit.web.session, qkit.web.form, qkit.web.kpi_import)
    "save_failed": ("保存失败：服务器暂时无法写入数据；您的修改仍在本页，请稍后再点“保存”",
                    "saving failed: the server cannot write the data right now; your changes are still on this page, press Save again later"),
    "duplicate_year": ("该年份已有一行数据，请改成其他年份", "this year already has a row; choose another year"),
    "series_name": ("对比系列名称不能为空，也不能与其他系列重名", "a comparison series needs a name of its own"),
    "import_type": ("只能导入以下格式的文件：{allowed}", "only these files can be imported: {allowed}"),
    "import_too_big": ("文件过大（{size}），导入的表格最大 {limit}；请只保留指标数据", "the file is too large ({size}); an imported table may have at most {limit}, keep only the KPI data"),
    "import_rows": ("表格超过 {limit} 行；请只保留指标数据", "the table has more than {limit} rows; keep only the KPI data"),
    "import_columns_many": ("表头超过 {limit} 列；请只保留条款、指标等列和最多 {years} 个年份列",
                            "the heading row has more than {limit} columns; keep the clause, KPI … columns and at most {years} year columns"),
    "import_kpis": ("表格中的指标超过 {limit} 项（第 {row} 行）；请分几次导入",
                    "the table has more than {limit} KPIs (row {row}); import it in parts"),
    "import_cells": ("导入后年份表格将超过 {limit} 个单元格（第 {row} 行；年份 × 数据系列）；请只保留需要的年份和数据系列，或分几次导入",
                     "the year grids would have more than {limit} cells (row {row}; years × series); keep only the years and series needed, or import in parts"),
    # stores on PostgreSQL, copies and backups; serving on a network (qkit.web.store, qkit.web.serve)
    "data_url": ("应为数据文件夹或 PostgreSQL 数据库地址；可选：文件夹，或 {allowed}",
                 "must be a data folder or a PostgreSQL database URL; allowed: a folder, or {allowed}"),
    "store_unreachable": ("无法连接数据库：{detail}", "cannot reach the database: {detail}"),
    "store_not_empty": ("目标数据库已有数据（{counts}），qkit 不会在其上复制；请使用新建的空数据库",
                        "the target store already holds data ({counts}), so nothing is copied into it; use a new, empty database"),
    "copy_onto_itself": ("源和目标是同一个数据库", "the source and the target are the same store"),
    "copy_mismatch": ("复制后的数量不一致（{detail}），复制已撤销", "the counts differ after copying ({detail}), so the copy was undone"),
    "backup_postgres": ("PostgreSQL 数据库请用 pg_dump 备份（见 docs/deploy.md）；qkit store backup 只备份数据文件夹中的 SQLite 数据库",
                        "back up a PostgreSQL store with pg_dump (see docs/deploy.md); qkit store backup copies the SQLite database of a data folder"),
    "backup_is_folder": ("这是一个文件夹；请给出备份文件的路径，例如 备份/qkit-2026-05-01.sqlite3",
                         "this is a folder; give the backup file's path, e.g. backups/qkit-2026-05-01.sqlite3"),
    "backup_in_store": ("不能备份到正在使用的数据库文件上；请换一个文件名或文件夹",
                        "a backup cannot replace the database in use; choose another name or folder"),
    "remote_needs_flag": ("该地址可从其他计算机访问；确认要在网络上提供服务时请加 --allow-remote，并经 HTTPS 代理访问（见 docs/deploy.md）",
                          "this address is reachable from other machines; add --allow-remote to serve on the network, behind an HTTPS proxy (see docs/deploy.md)"),
    "bad_host": ("应为本机的 IP 地址或主机名，例如 127.0.0.1、192.168.1.20 或 0.0.0.0", "must be an IP address or host name of this machine, e.g. 127.0.0.1, 192.168.1.20 or 0.0.0.0"),
    "bad_base_url": ("应为以 / 开头和结尾的路径，只含字母、数字和 - _ . ~ /，例如 /qkit/",
                     "must be a path starting and ending with /, with letters, digits and - _ . ~ / only, e.g. /qkit/"),
    "bad_public_url": ("应为以 https:// 或 http:// 开头、不含 ? 和 # 的网址，例如 https://qkit.example.com/",
                       "must be an https:// or http:// address without ? or #, e.g. https://qkit.example.com/"),
    "import_unreadable": ("无法读取该文件：{detail}", "cannot read this file: {detail}"),
    "import_columns": ("未找到表头；第一行（或前几行之一）应包含列名：{allowed}", "no heading row found; a row near the top must name the columns {allowed}"),
    "future_year": ("年份晚于本次自评（{year} 年）：请核对；如为预测值，请在相关条款的备注中说明",
                    "a year after this assessment ({year}): check it; if these values are projections, say so in the clause's notes"),
    "empty_year": ("这一年还没有任何数值：请填写，或用右侧的删除按钮删去这一年",
                   "no value for this year yet: fill one in, or remove the year with the bin on its right"),
    # the improvement plan (qkit.plan; the document's improvements, qkit plan)
    "action_clauses": ("请注明该措施针对的条款（clauses: [5.2.2, …]）", "name the clauses this action works on (clauses: [5.2.2, …])"),
    "action_id_twice": ("该编号已用于另一项措施；每项措施的编号（id）应各不相同", "another action has this id; each action needs an id of its own"),
    "action_status": ("状态应为以下之一：{allowed}", "the status must be one of {allowed} (not started, in progress, done, cancelled)"),
    "due_before_start": ("截止日期早于开始日期（{start}）", "the due date lies before the start ({start})"),
    "unknown_kpi": ("没有此名称的指标；results 中的指标：{allowed}", "no KPI of this name; the KPIs in results: {allowed}"),
    "owner_not_member": ("“{owner}”不是本单位的成员，按文字保留；成员：{allowed}",
                         "“{owner}” is not a member of the team and is kept as text; members: {allowed}"),
    "plan_usage": ("用法：qkit plan 文件，或 qkit plan draft 文件 -o 新文件.yaml", "usage: qkit plan FILE, or qkit plan draft FILE -o NEW.yaml"),
    "draft_overwrites_input": ("草拟的计划写入新文件，不能覆盖原文件；请换一个文件名",
                               "the drafted plan goes to a new file and must not overwrite the input; choose another name"),
}

LABELS: dict[str, tuple[str, str]] = {
    "value": ("当前值", "got"),
    "process": ("过程", "process"),
    "results": ("结果", "results"),
    "indicator": ("指标", "indicator"),
    "item": ("条目", "item"),
    "group": ("一级指标", "group"),
    "clause": ("条款", "clause"),
    "title": ("名称", "title"),
    "kind": ("类型", "kind"),
    "points": ("分值", "points"),
    "score": ("得分率", "score"),
    "earned": ("得分", "earned"),
    "suggested": ("建议分数段", "suggested band"),
    "flag": ("提示", "flag"),
    "total": ("总分", "total"),
    "maturity": ("成熟度", "maturity"),
    "unscored": ("未评分", "unscored"),
    "partial": ("部分评分：以下条款尚未评分", "partially scored: these clauses are not yet scored"),
    "outside_band": ("所选得分不在建议分数段 {band} 内，请在 notes 中说明理由", "the chosen score lies outside the suggested band {band}; justify it in notes"),
    "outside_justified": ("所选得分不在建议分数段 {band} 内（已说明理由）", "the chosen score lies outside the suggested band {band} (justified)"),
    "not_bool": ("应为 true 或 false", "must be true or false"),
    "theme_clauses": ("请注明该要点依据的条款（clauses: [5.2.2, …]）", "name the clauses this theme draws on (clauses: [5.2.2, …])"),
    "consensus_rubric": ("依据的评定标准与 {file} 的（{first}）不同；共识只能合并同一标准的评审",
                         "follows a different standard from {file} ({first}); a consensus merges assessments of one standard"),
    "consensus_applicant": ("申报单位与 {file} 的（{first}）不同；共识只能合并对同一申报单位的评审",
                            "is about a different applicant from {file} ({first}); a consensus merges assessments of one applicant"),
    "consensus_assessor": ("每份独立评审应在 assessment/assessors 中写明一位评审员", "each independent assessment must name exactly one assessor in assessment/assessors"),
    "consensus_same_assessor": ("同一评审员出现在多份独立评审中：{allowed}", "the same assessor names several of the assessments: {allowed}"),
    "consensus_too_few": ("共识至少需要两份独立评审", "a consensus needs at least two independent assessments"),
    "consensus_overwrites_input": ("共识文件不能覆盖独立评审文件；请换一个文件名", "the consensus document must not overwrite an independent assessment; choose another name"),
    "lint_found": ("反馈质量提示 {n} 条（不影响得分和格式检查）", "{n} feedback-quality warning(s) (they change no score and no check)"),
    "lint_rules": ("反馈规则文件有误：{detail}", "invalid feedback rules file: {detail}"),
    "lint_rule_slow": ("该规则的正则表达式对一条评语运行超过 {seconds} 秒，已停止（嵌套的重复如 (a|aa)+ 会使匹配时间成倍增长）；请改写该规则",
                       "this rule's regular expression ran over {seconds} s on one comment and was stopped (nested repeats such as (a|aa)+ make matching take ever longer); rewrite the rule"),
    "lint_prescriptive": ("[{code}] 改进机会带有指令性措辞“{word}”：请写出差距或不足本身，不替申报单位规定做法",
                          "[{code}] the OFI prescribes (“{word}”): say what is missing or weak, not how to fix it"),
    "lint_judgement": ("[{code}] 评价用语“{word}”没有事实支撑：请写出具体数据、年份或实例",
                       "[{code}] the judgement “{word}” has no facts behind it: give a figure, a year or an example"),
    "lint_no_figure": ("[{code}] 结果类优势没有数据或年份", "[{code}] a results strength with no figure or year"),
    "lint_no_evidence": ("[{code}] 有优势或改进机会，但没有列出证据", "[{code}] comments but no evidence listed"),
    "lint_too_short": ("[{code}] 评语过短（{n} 字，建议至少 {min} 字）", "[{code}] too short ({n} characters; at least {min})"),
    "lint_too_long": ("[{code}] 评语过长（{n} 字，建议不超过 {max} 字）：一条评语只写一个要点", "[{code}] too long ({n} characters; at most {max}): one point per comment"),
    "lint_count_low": ("[{code}] {kind}只有 {n} 条（建议至少 {min} 条）", "[{code}] only {n} {kind} (at least {min})"),
    "lint_count_high": ("[{code}] {kind}有 {n} 条（建议不超过 {max} 条）：请合并或取舍", "[{code}] {n} {kind} (at most {max}): merge or choose"),
    "outside_range": ("共识得分不在评审员独立评分的范围（{low}%–{high}%）内，请在备注（notes）中说明理由",
                      "the consensus score lies outside the assessors' independent range ({low}%–{high}%); justify it in the notes"),
    "outside_range_justified": ("共识得分不在评审员独立评分的范围（{low}%–{high}%）内（已说明理由）",
                                "the consensus score lies outside the assessors' independent range ({low}%–{high}%) (justified)"),
    "outside_range_short": ("超出独立评分范围", "outside independent range"),
    "outside_range_justified_short": ("超出独立评分范围（已说明）", "outside independent range (justified)"),
    "range": ("极差", "range"),
    "spread_spread": ("分差过大", "wide spread"),
    "spread_bands": ("分属不同分数段", "different bands"),
    "spread_unscored": ("有人未评分", "not scored by all"),
    "consensus_summary": ("{all} 个条款中 {flagged} 个需要讨论（分差 ≥ {spread} 个百分点、分属不同分数段或有人未评分），按分差从大到小排列",
                          "{flagged} of {all} clauses to discuss (a spread of {spread} points or more, different bands, or not scored by all), widest spread first"),
    "mean_deviation": ("平均偏差（正为偏宽，负为偏严）", "mean deviation (above zero lenient, below zero severe)"),
    "consensus_written": ("共识文件已生成：{file}（未标记的条款为建议得分，需讨论的条款未评分）",
                          "consensus document written: {file} (unflagged clauses carry a proposed score, flagged ones are left unscored)"),
    "sheet_rank": ("排名", "Ranking"),
    "sheet_clauses": ("条款", "Clauses"),
    "sheet_spread": ("评审分歧", "Assessor spread"),
    "cohort_mean": ("平均", "mean"),
    "cohort_min": ("最低", "min"),
    "cohort_max": ("最高", "max"),
    "cohort_weakest": ("全体最弱", "weakest in the cohort"),
    "outside_band_short": ("超出建议段", "outside band"),
    "outside_justified_short": ("超出建议段（已说明）", "outside band (justified)"),
    "below_described_short": ("低于最低档", "below lowest band"),
    "justified": ("评审员说明", "assessor's note"),
    "flags": ("需要评审员说明的条款", "clauses the assessor should justify"),
    "below_described": ("低于最低描述档次（{band}）", "below the lowest described level ({band})"),
    "gaps": ("改进优先级（按失分排序）", "priorities (points at stake)"),
    "at_stake": ("可提升分", "at stake"),
    "ofis": ("改进机会", "OFIs"),
    "valid": ("{file}：格式正确", "{file}: valid"),
    "invalid": ("{file}：发现 {n} 个问题", "{file}: {n} problem(s)"),
    "written": ("已生成模板：{file}", "template written: {file}"),
    # applicants, revisions and serving (qkit.web.store, qkit.web.serve)
    "relinked_member": ("已为 {name} 生成新的访问密钥，其原链接已失效。", "A new access key for {name}; their old link no longer works."),
    "member_added": ("已添加成员：{name}（编号 {id}，{role}）", "member added: {name} (id {id}, {role})"),
    "member_assigned": ("{name} 现为{role}；已打开的页面几秒内按新的分工更新，无需新链接。",
                        "{name} is now a {role}; an open page follows the new assignment within seconds, with no new link."),
    "member_revoked_now": ("已撤销 {name} 的链接，立即失效；其保存的版本仍保留在历史中。",
                           "{name}'s link is revoked and stops working now; their revisions stay in the history."),
    "member_name": ("成员", "member"),
    "member_role": ("角色", "role"),
    "member_state": ("状态", "state"),
    "member_active": ("有效", "active"),
    "member_revoked": ("已撤销（{when}）", "revoked ({when})"),
    "role_lead": ("负责人", "lead"),
    "role_writer": ("撰写人", "writer"),
    "role_assessor": ("评审员", "assessor"),
    "author": ("保存人", "saved by"),
    "changed": ("修改内容", "changed"),
    "cycle_note": ("新周期 {label} 开始（上一周期止于第 {n} 版）", "cycle {label} begins (the previous one ends at revision {n})"),
    "cycle_started": ("已开始新周期 {label}：第 {number} 版。文字和结果数据已带入，各条款得分已清空、待复核；上一周期可用 qkit history 查看",
                      "cycle {label} started as revision {number}: texts and results data carried over, scores cleared for review; the previous cycle stays in qkit history"),
    "cycle_file_started": ("已开始新周期 {label}：{file}。文字和结果数据已带入，各条款得分已清空、待复核（上期得分记为 previous_score）；{source} 保持不变",
                           "cycle {label} started in {file}: texts and results data carried over, scores cleared for review (the old ones kept as previous_score); {source} is unchanged"),
    "to_review": ("待复核", "to review"),
    "previous_score": ("上期得分", "previous score"),
    "sec_key_themes": ("关键要点", "Key themes"),
    "theme_process_strengths": ("过程方面的主要优势", "Process strengths"),
    "theme_process_ofis": ("过程方面的主要改进机会", "Process opportunities for improvement"),
    "theme_results_strengths": ("结果方面的主要优势", "Results strengths"),
    "theme_results_ofis": ("结果方面的主要改进机会", "Results opportunities for improvement"),
    "sec_consensus": ("独立评分与共识", "Independent scores and consensus"),
    "consensus_lead": ("各评审员的独立评分、其范围与共识得分；超出独立评分范围的共识得分须在备注中说明理由。",
                       "Each assessor's independent score, their range and the agreed score; an agreed score outside the range is justified in the notes."),
    "independent_range": ("独立评分范围", "independent range"),
    "consensus_score": ("共识得分", "agreed score"),
    "state": ("状态", "state"),
    "proposed": ("建议（待讨论）", "proposed (to discuss)"),
    "calibration": ("评审员校准：与共识得分的平均偏差", "Assessor calibration: mean deviation from the agreed scores"),
    "tendency": ("倾向", "tendency"),
    "lenient": ("偏宽", "lenient"),
    "severe": ("偏严", "severe"),
    "on_consensus": ("与共识一致", "on the consensus"),
    "chart_spread": ("各条款独立评分范围与共识得分", "Independent range and agreed score by clause"),
    "wb_everything": ("全部内容", "the whole application"),
    "signed_in_as": ("当前用户：{name} · {role}", "signed in as {name} · {role}"),
    "signed_in_as_role": ("当前用户：{role}", "signed in as the {role}"),
    "wb_conflicts": ("需要选择的修改（{n} 处）", "Changes to choose ({n})"),
    "wb_theirs": ("{author}保存的", "saved by {author}"),
    "wb_mine": ("本页的", "this page's"),
    "wb_keep_theirs": ("保留对方的", "Keep theirs"),
    "wb_keep_mine": ("保留本页的", "Keep mine"),
    "wb_keep_both": ("两段文字都保留", "Keep both texts"),
    "wb_removed": ("（已删除）", "(removed)"),
    "wb_keep_all_mine": ("全部保留本页内容", "Keep this page's for all"),
    "wb_read_only": ("这一部分由其他成员填写，您可以查看，不能修改。", "Another member writes this part: you can read it, not change it."),
    "wb_history_tab": ("历史", "History"),
    "wb_history_intro": ("每次保存都是一个版本，不会被覆盖或删除。可以查看任一版本与当前内容的差别，并把它恢复为新版本。",
                         "Every save is a revision, never overwritten or deleted. See how any revision differs from the current one, and restore it as a new revision."),
    "wb_history_row": ("第 {number} 版 · {author} · {when}", "revision {number} · {author} · {when}"),
    "wb_history_changed": ("修改了：{fields}", "changed: {fields}"),
    "wb_compare": ("与当前比较", "Compare with now"),
    "wb_restore": ("恢复为新版本", "Restore as a new revision"),
    "wb_no_difference": ("与当前内容相同", "the same as now"),
    "wb_difference": ("{place}：该版本 {then} → 当前 {now}", "{place}: then {then} → now {now}"),
    "table_cycle": ("评价周期", "cycles"),
    "table_assessment": ("评审记录（独立评分与共识）", "assessment rounds (layers and consensus)"),
    "table_deadline": ("截止日期", "due dates"),
    "table_opened": ("首次打开页面的记录", "first openings of a page"),
    "table_file": ("证据文件（按内容各存一份）", "evidence files (each content once)"),
    "table_attachment": ("证据文件上传记录", "evidence uploads"),
    # the team's progress (qkit progress, the 进度 tab), due dates and notices of others' changes
    "wb_progress_tab": ("进度", "Progress"),
    "wb_progress_intro": ("各部分由谁负责、是否已评分、字数、优势/改进机会/证据条数、结果指标、最近修改和截止日期（按已保存的内容）。评审员的评分在共识之前不显示。",
                          "Who writes each part, whether it is scored, its length, its strengths, OFIs and evidence, its KPIs, its last edit and when it is due (as saved). Assessors' scores are never shown before the consensus."),
    "progress_part": ("条款", "part"),
    "progress_owners": ("撰写人", "written by"),
    "progress_scored": ("已评分", "scored"),
    "progress_words": ("字数", "words"),
    "progress_guide": ("约 {n}（参考）", "about {n} (guide)"),
    "progress_comments": ("优势 / 改进机会 / 证据", "strengths / OFIs / evidence"),
    "progress_kpis": ("指标（{year} 年有数据）", "KPIs (with {year} data)"),
    "progress_last_edit": ("最近修改", "last edit"),
    "progress_due": ("截止", "due"),
    "progress_overdue": ("逾期", "overdue"),
    "progress_days_over": ("{n} 天", "{n} days"),
    "progress_yes": ("是", "yes"),
    "progress_no": ("否", "no"),
    "progress_nobody": ("（未分配）", "(not assigned)"),
    "progress_assessor": ("评审员", "assessor"),
    "progress_invited": ("已邀请", "invited"),
    "progress_opened": ("已打开", "opened"),
    "progress_handed_in": ("已提交", "handed in"),
    "progress_assessors_title": ("评审员", "Assessors"),
    "due_application": ("全部内容", "The whole application"),
    "due_assessors": ("独立评分提交", "The assessors' hand-in"),
    "due_left": ("{target} 截止 {day}，还有 {n} 天", "{target} due {day}, {n} days left"),
    "due_today": ("{target} 今天（{day}）截止", "{target} due today ({day})"),
    "due_overdue": ("{target} 已逾期 {n} 天（截止 {day}）", "{target} overdue by {n} days (due {day})"),
    "due_set": ("{target} 截止日期已设为 {day}", "{target} is now due {day}"),
    "due_cleared": ("已取消 {target} 的截止日期", "{target} no longer has a due date"),
    "wb_assignments": ("分工", "Who writes what"),
    "wb_assign_hint": ("填写条目或条款编号，如 5.3、5.4.4（结果条款含其指标）；留空表示全部内容", "item or clause ids such as 5.3, 5.4.4 (a results clause with its KPIs); empty: the whole application"),
    "wb_assign_save": ("保存分工", "Save"),
    "wb_due_dates": ("截止日期", "Due dates"),
    "wb_due_hint": ("日期格式 2026-12-10；留空并设定即取消", "a date as 2026-12-10; set it empty to clear it"),
    "wb_due_set": ("设定", "Set"),
    "wb_due_target": ("项目", "for"),
    "notice_changed": ("{author}将 {place}由 {old} 改为 {new}", "{author} changed {place} from {old} to {new}"),
    "notice_edited": ("{author}修改了 {place}", "{author} changed {place}"),
    "notice_removed": ("{author}删除了 {place}", "{author} removed {place}"),
    "wb_history_spell": ("{author} · {when} · 保存 {n} 次，最新为第 {number} 版",
                         "{author} · {when} · {n} saves, the last revision {number}"),
    "wb_history_author": ("人员", "person"),
    "wb_history_item": ("条目", "item"),
    "wb_history_all": ("全部", "all"),
    "wb_restore_confirm": ("恢复第 {number} 版将改变以下 {n} 处内容：", "Restoring revision {number} changes these {n} fields:"),
    "wb_restore_line": ("{place}：{now} → {then}", "{place}: {now} → {then}"),
    "wb_restore_yes": ("确认恢复", "Restore"),
    "wb_cancel": ("取消", "Cancel"),
    "layer_submitted": ("独立评分已提交，不能再修改", "the independent assessment was handed in and no longer changes"),
    "wb_submit": ("提交独立评分", "Hand in my assessment"),
    "wb_submitted": ("已提交独立评分；负责人汇总共识时可见。", "Handed in: the lead sees it when bringing the consensus together."),
    "wb_assessing": ("独立评审：您的评分和评语只有您自己看得到，提交后负责人才能看到。",
                     "Independent assessment: only you see your scores and comments until you hand them in to the lead."),
    "wb_consensus_tab": ("共识", "Consensus"),
    "wb_consensus_intro": ("已提交的独立评分逐条并列，分差大的排在前面。先采用共识稿（未标记条款取中位数为建议分，评语合并并注明作者），再逐条确认或修改共识得分并写明理由。共识单独保存，不会改动申报材料。",
                           "The independent scores handed in, side by side, widest spread first. Adopt the proposal (unflagged clauses get the median as a proposed score, comments merged with their authors), then confirm or change each score and give the reason. The consensus is kept apart and never changes the application."),
    "wb_no_layers": ("尚无评审员提交独立评分。", "No assessor has handed in an assessment yet."),
    "wb_adopt": ("采用共识稿", "Adopt the proposal"),
    "wb_nothing_written": ("申报材料中这一条款尚无叙述。", "The application has no text for this clause yet."),
    "wb_rounds_title": ("评审记录", "Assessment rounds"),
    "wb_cycle": ("周期", "cycle"),
    "wb_round": ("轮次", "round"),
    "wb_round_state": ("状态", "state"),
    "wb_round_items": ("各条目得分率", "items"),
    "wb_round_saved": ("第 {n} 版（{at}）", "save {n} ({at})"),
    "wb_rounds_export": ("完整的评审文件可用 qkit export --round independent 或 --round consensus（--cycle 指定周期）导出。",
                         "The rounds' full documents are exported with qkit export --round independent or --round consensus (--cycle for a cycle)."),
    "round_independent": ("独立评审", "independent"),
    "round_consensus": ("共识", "consensus"),
    "round_site_visit": ("现场评审", "site visit"),
    "wb_audience": ("报告版本", "Edition"),
    "wb_bands_only": ("只发布分数段", "Release bands only"),
    "wb_confirm_proposal": ("确认建议分", "Confirm the proposed score"),
    "wb_reopen": ("退回重评", "Send back"),
    "wb_reopen_reason": ("退回原因（必填，将记录在案）", "why it goes back (required, recorded)"),
    "wb_layer_submitted": ("已提交（{at}）", "handed in ({at})"),
    "wb_layer_reopened": ("已退回：{reason}", "sent back: {reason}"),
    "wb_layer_scoring": ("评分中（已保存 {n} 次）", "scoring ({n} saves)"),
    "wb_layer_not_begun": ("尚未开始", "not begun"),
    "comment_by": ("（{names}）", "({names})"),
    "self_gaps_title": ("自评与共识对比", "Self-assessment against the consensus"),
    "self_score": ("自评得分", "self-assessed"),
    "self_gap": ("自评高出（百分点）", "self-assessed above (points)"),
    "self_gaps_lead": ("申报单位的自评得分与评审组的共识得分逐条对比：自评高出为正，低于为负。",
                       "The applicant's own score of each clause beside the assessors' agreed score: above zero the self-assessment is higher, below zero lower."),
    "self_gaps_lead_bands": ("申报单位的自评得分与评审组共识得分所在的分数段逐条对比。",
                             "The applicant's own score of each clause against the band of the assessors' agreed score."),
    "consensus_band": ("共识分数段", "agreed band"),
    "self_against_band": ("自评与共识分数段相比", "self-assessment against the agreed band"),
    "self_above": ("高于共识分数段", "above the agreed band"),
    "self_within": ("在共识分数段内", "within the agreed band"),
    "self_below": ("低于共识分数段", "below the agreed band"),
    "audience_applicant": ("申报单位版", "applicant's edition"),
    "audience_internal": ("内部版", "internal edition"),
    "proposed_score": ("建议得分，待确认", "proposed, not yet agreed"),
    "score_band": ("分数段", "score band"),
    "bands_lead": ("本报告只发布分数段：各条款的得分给出其所在的评分分数段，各条目和总分给出其得分率所在的分数段，不列确切得分和得分点数。",
                   "This report releases score bands only: each clause's score as the band of its scoring table it falls in, each item and the total as the band of their percentage; no exact score and no points earned."),
    "left_out_bands": ("“{what}”未列出：本报告只发布分数段，而它会显示确切得分。",
                       "“{what}” is left out: this report releases score bands only, and it would show exact scores."),
    "reopen_reason": ("请写明退回的原因", "say why the assessment goes back"),
    "reopen_leads_only": ("只有负责人可以退回评审员的评分", "only the team lead sends an assessment back"),
    "layer_not_submitted": ("{name} 的独立评分尚未提交，无需退回", "{name} has not handed in; there is nothing to send back"),
    "cycle_leads_only": ("只有负责人可以开始新周期", "only the team lead starts a new cycle"),
    "unknown_round": ("未知的评审轮次；可选：{allowed}", "unknown round; choose one of: {allowed}"),
    "unknown_cycle": ("没有这个周期；可选：{allowed}", "no such cycle; choose one of: {allowed}"),
    "wb_themes_intro": ("评审组写出整份申报最重要的几条优势和改进机会，并注明依据的条款；反馈报告把它们放在最前面。",
                        "The assessors' few most important strengths and OFIs of the whole application, each with the clauses it draws on; the feedback report puts them first."),
    "wb_theme_clauses": ("依据的条款", "clauses"),
    "someone_else": ("其他成员", "another member"),
    "restored_note": ("恢复自第 {n} 版", "restored from revision {n}"),
    "applicant_added": ("已添加申报单位：{name}（编号 {id}，评定标准 {rubric}）", "applicant added: {name} (id {id}, rubric {rubric})"),
    "access_link": ("专属链接（qkit serve 运行时打开）：", "personal link (open it while qkit serve runs):"),
    "token_once": ("链接中含访问密钥，只显示这一次（数据库只保存其哈希值），请妥善转交该单位。",
                   "The link contains the access key and is shown only this once (the database keeps only its hash); pass it on safely."),
    "applicant_id": ("编号", "id"),
    "applicant_name": ("申报单位", "applicant"),
    "revision_no": ("版本", "revision"),
    "last_saved": ("最后保存", "last saved"),
    "saved_at": ("保存时间", "saved"),
    "note": ("说明", "note"),
    "no_applicants": ("尚无申报单位；用 qkit applicants add --name 名称 --rubric 标准 添加",
                      "no applicants yet; add one with qkit applicants add --name NAME --rubric ID"),
    "exported": ("已导出 {n} 份自评文档到 {folder}", "{n} document(s) exported to {folder}"),
    "restored": ("已将第 {n} 版恢复为第 {new} 版", "revision {n} restored as revision {new}"),
    "serving": ("自评表网页已启动：{url}", "workbooks served at {url}"),
    "data_at": ("数据目录：{dir}", "data directory: {dir}"),
    "serve_hint": ("各申报单位用自己的专属链接打开自评表：qkit applicants add 生成链接，qkit applicants list 查看申报单位。按 Ctrl+C 停止。",
                   "Each applicant opens its workbook with its personal link: qkit applicants add makes one, qkit applicants list shows the applicants. Press Ctrl+C to stop."),
    "rubric_id": ("标识", "id"),
    "award": ("奖项", "award"),
    "category": ("类别", "category"),
    "total_points": ("总分值", "total points"),
    "process_descriptors": ("过程维度描述", "process descriptors"),
    "results_descriptors": ("结果维度描述", "results descriptors"),
    "points_unit": ("{n}分", "{n} pts"),
    # the 自评报告 (qkit.narrative, qkit.docx_report, qkit validate)
    "narrative_warnings": ("自评报告超出字数限制 {n} 处（仅为提醒，不影响校验结果；限制见 {file}）：",
                           "the self-assessment report is over its limits in {n} place(s) (a warning; the document is still valid; limits from {file}):"),
    "guide_note": ("{n} 处多于参考字数（参考字数按分值由自评报告的限制推算，不是上限）：{parts}",
                   "{n} part(s) beyond their guidance (the report's limit shared by points, not a limit): {parts}"),
    "coverage_note": ("{n} 处叙述可能未涉及某些要点；加 --coverage 查看", "{n} narrative(s) may leave sub-points out; add --coverage to see them"),
    "coverage_lead": ("叙述似未涉及的要点（按关键词比对，仅供撰写参考，不影响评分）：",
                      "sub-points the narrative does not appear to address (by keyword overlap; a hint for the writer, never a score):"),
    "coverage_missing": ("{where} {title}：{points}", "{where} {title}: {points}"),
    "ref_table": ("表{number}", "Table {number}"),
    "ref_figure": ("图{number}", "Figure {number}"),
    "image_missing": ("［插图 {caption}：证据 {number} 的文件未随本文件提供］", "[figure {caption}: the file of evidence {number} was not provided]"),
    "ref_evidence": ("证据{number}", "Evidence {number}"),
    "ref_kpi": ("{name}（见{figure}）", "{name} (see {figure})"),
    "pkg_overview": ("组织概述", "Organizational overview"),
    "pkg_table": ("自评表", "Self-assessment scores"),
    "pkg_index": ("证实性材料目录", "Supporting evidence"),
    "pkg_zip": ("申报材料", " application"),
    "pkg_self_score": ("自评得分率", "self-assessed score"),
    "pkg_table_lead": ("按评定标准逐条款自评的得分（评估日期：{date}）。得分 = 分值 × 自评得分率；条目得分和总分为其各条款得分之和。",
                       "The applicant's own score of every clause of the standard (assessment date: {date}). Points earned = points × score; an item's and the total are the sums of their clauses."),
    "pkg_index_lead": ("各文件在 {folder}/ 文件夹中，以编号和名称命名；叙述中以“证据 编号”引用。",
                       "Each file is in the {folder}/ folder, named by its number and title; narratives cite it as “Evidence number”."),
    "pkg_no_evidence": ("本申报未附证实性材料文件。", "No evidence files are attached to this application."),
    "pkg_col_number": ("编号", "number"),
    "pkg_col_title": ("名称", "title"),
    "pkg_col_clause": ("条款", "clause"),
    "pkg_col_date": ("日期", "date"),
    "pkg_col_owner": ("责任部门或责任人", "owner"),
    "pkg_col_file": ("文件", "file"),
    "pkg_written": ("申报材料已生成：", "application package written:"),
    "sar_title": ("自评报告", "Self-assessment report"),
    "toc_title": ("目  录", "Contents"),
    "toc_pages_note": ("页码在 Word 打开文件时更新；如未显示或与正文不符，请右键单击目录，选择“更新域”。",
                       "Word updates the page numbers when it opens the file; if they are missing or do not match the text, right-click the contents and choose Update Field."),
    "toc_placeholder": ("目录在打开文件时更新；如未显示，请右键单击此处，选择“更新域”。",
                        "The contents are updated when the file is opened; if they are not, right-click here and choose Update Field."),
    "page_footer": ("第 {page} 页 共 {pages} 页", "Page {page} of {pages}"),
    "not_written": ("（尚未撰写）", "(not written yet)"),
    "kpi_table_caption": ("{table} {title}：关键绩效指标", "{table} {title}: key performance indicators"),
    "sec_writing": ("自评报告撰写情况", "Writing the self-assessment report"),
    "writing_lead": ("字数按 Word 的“字数”统计，表格计其表题和单元格的文字，每幅图计 {figure} 字另加图题；限制来自 {file}。"
                     "组织概述单独计算；条目、条款的“参考”字数按分值由自评报告的限制推算，不是上限。"
                     "“似未涉及的要点”按关键词比对得出，仅供撰写参考，不影响评分。",
                     "Words are counted as Word counts them: a table by the words of its caption and cells, each figure as "
                     "{figure} words and its caption; the limits come from {file}. The overview is counted apart; the "
                     "guidance of items and clauses is the report's limit shared by their points, not a limit. Sub-points "
                     "“not apparently addressed” are found by keyword overlap: a hint for the writer, never a score."),
    "col_part": ("部分", "part"),
    "col_words": ("字数", "words"),
    "col_exhibits": ("其中表格和图", "of which tables and figures"),
    "col_limit": ("上限或参考", "limit or guidance"),
    "col_unaddressed": ("似未涉及的要点", "sub-points not apparently addressed"),
    "writing_total": ("自评报告（含图表，不含组织概述）", "self-assessment report (tables and figures included, the overview apart)"),
    "over_limit": ("超出", "over"),
    "beyond_guide": ("多于参考", "beyond guidance"),
    "no_limit": ("不限", "none"),
    "guide": ("参考", "guidance"),
    "about_words": ("约 {n}", "about {n}"),
    "overview_apart": ("组织概述，单独计算", "the overview, counted apart"),
    "exhibit_tables": ("表格 {n} 字", "tables {n} words"),
    "exhibit_figures": ("图 {figures} 幅 {n} 字", "{figures} figure(s) {n} words"),
    # the feedback report (qkit.sections, qkit.report, qkit.excel, qkit.batch)
    "report_title": ("自评反馈报告", "Self-assessment feedback report"),
    "applicant": ("申报单位", "applicant"),
    "applicant_person": ("申报人", "nominee"),
    "standard": ("评定标准", "standard"),
    "date": ("评估日期", "assessment date"),
    "stage": ("评估阶段", "stage"),
    "assessors": ("评审员", "assessors"),
    "industry": ("所属行业", "industry"),
    "location": ("所在地", "location"),
    "employees": ("员工人数", "employees"),
    "contact": ("联系人", "contact"),
    "organization": ("工作单位", "organization"),
    "position": ("职务", "position"),
    "colophon": ("本报告由 qkit 根据自评文件生成；分值与评分指南均依据评定标准原文。",
                 "Generated by qkit from the self-assessment document; points and scoring guidelines follow the standard's text."),
    "sec_summary": ("总体评价", "Overall result"),
    "sec_items": ("各条目得分", "Scores by item"),
    "sec_feedback": ("优势与改进机会", "Strengths and opportunities for improvement"),
    "sec_results": ("结果分析", "Results analysis"),
    "sec_appendix": ("附录：条款得分明细", "Appendix: scores by clause"),
    "strengths": ("优势", "strengths"),
    "ofis_long": ("改进机会", "opportunities for improvement"),
    "evidence": ("证据", "evidence"),
    "none_recorded": ("未记录", "none recorded"),
    "gaps_lead_bands": ("按分数段估算的可提升分排序：（100% − 分数段中值）× 分值；改进这些条款收益最大。",
                        "Ranked by the points at stake estimated from the band: (100% − the band's middle) × points; improving these clauses gains the most."),
    "gaps_lead": ("可提升分 =（100% − 得分率）× 分值；改进这些条款收益最大。",
                  "Points at stake = (100% − score) × points; improving these clauses gains the most."),
    "results_lead": ("结果条款的 LeTCI 提示依据指标数据推算，仅供评审员参考，不改变得分。",
                     "The LeTCI hint of each results clause is drawn from the KPI data; it advises the assessor and never changes a score."),
    "results_lead_applicant": ("每个结果条款的数据提示由贵单位提供的指标数据推算，说明这些数据在水平、趋势和对比上显示的情况；得分由评审组综合评定，提示本身不改变得分。",
                               "The data hint of each results clause is drawn from the KPI data you provided: what they show in levels, trends and comparisons. The scores are the assessors' overall judgement; the hint itself never changes one."),
    "hint_band": ("数据提示分数段", "band the data suggest"),
    "suggested_score": ("建议得分", "suggested score"),
    "number": ("序号", "no."),
    "content": ("内容", "text"),
    "rank": ("排名", "rank"),
    "file": ("文件", "file"),
    "sheet_scores": ("得分", "Scores"),
    "sheet_feedback": ("优势与改进机会", "Strengths and OFIs"),
    "sheet_priorities": ("改进优先级", "Priorities"),
    "sheet_self": ("自评与共识", "Self vs consensus"),
    "sheet_consensus": ("独立评分与共识", "Independent and agreed"),
    "sheet_calibration": ("评审员校准", "Assessor calibration"),
    "sheet_kpis": ("KPI数据", "KPI data"),
    "sheet_kpi_summary": ("KPI分析", "KPI analysis"),
    "sheet_items": ("条目得分", "Items"),
    "sheet_summary": ("汇总", "Summary"),
    "sheet_factors": ("因素评级", "Factor ratings"),
    "sheet_evidence": ("证据", "Evidence"),
    "sheet_narratives": ("自评报告", "Self-assessment report"),
    "met_yes": ("是", "yes"),
    "met_no": ("否", "no"),
    "report_written": ("报告已生成：", "report written:"),
    "batch_progress": ("生成报告", "reports"),
    "batch_done": ("完成 {ok} 份，失败 {failed} 份，跳过 {skipped} 份（报告完整且自评文件未改动）",
                   "{ok} done, {failed} failed, {skipped} skipped (report complete, document unchanged)"),
    "batch_failures": ("以下申报者未能生成报告：", "no report for these applicants:"),
    "notebook_kept": ("运行记录已保留：{file}", "notebook kept: {file}"),
    "summary_written": ("汇总：", "summary:"),
    # results analytics (qkit.analytics)
    "own_series": ("本组织", "Our organization"),
    "better_higher": ("越高越好", "higher is better"),
    "better_lower": ("越低越好", "lower is better"),
    "remote_warning": ("注意：自评表在网络地址 {host} 上提供服务。访问密钥就在链接网址中，经明文 HTTP 传输会被网络上的他人看到：请只经 HTTPS 代理（nginx、Caddy）提供服务，见 docs/deploy.md。",
                       "Warning: serving on the network address {host}. The access key travels in the link's URL and can be read by others on the network over plain HTTP: serve only through an HTTPS proxy (nginx, Caddy), see docs/deploy.md."),
    "proxy_trusted": ("信任代理转发的客户端地址（X-Real-IP、X-Forwarded-For）：只能让代理访问本端口。",
                      "trusting the client address the proxy forwards (X-Real-IP, X-Forwarded-For): let nothing but the proxy reach this port."),
    "busy_title": ("自评表暂时繁忙", "The workbooks are busy"),
    "busy_text": ("此刻打开自评表的人数已达上限。请在 {seconds} 秒后刷新本页重试；您已保存的内容不受影响。",
                  "Too many people have a workbook open right now. Please reload this page in {seconds} seconds; "
                  "nothing you saved is affected."),
    "copied_store": ("已复制到 {to}：", "copied into {to}:"),
    "copied_counts": ("{table}：原有 {source}，复制后 {target}", "{table}: {source} in the source, {target} copied"),
    "table_applicant": ("申报单位", "applicants"),
    "table_member": ("成员", "members"),
    "table_revision": ("版本", "revisions"),
    "backed_up": ("已备份到 {file}（{applicants} 个申报单位，{revisions} 个版本）。恢复时把它改名为 qkit.sqlite3 放入一个空的数据文件夹。",
                  "backed up to {file} ({applicants} applicants, {revisions} revisions). To restore, put it in an empty data folder as qkit.sqlite3."),
    "trend_favourable": ("有利", "favourable"),
    "trend_unfavourable": ("不利", "unfavourable"),
    "trend_flat": ("持平", "flat"),
    "trend_none": ("不足 3 年数据", "fewer than 3 years"),
    "standing_leading": ("领先于", "ahead of"),
    "standing_level": ("持平于", "level with"),
    "standing_trailing": ("落后于", "behind"),
    "comparison_detail": ("{standing}（{year}：{ours} / {theirs}）", "{standing} ({year}: {ours} / {theirs})"),
    "hint_no_kpis": ("尚未报告支持该条款的指标数据", "no KPI data reported for this clause yet"),
    "hint_levels": ("{n} 项指标中 {met} 项达到目标值", "{met} of {n} KPIs meet their target"),
    "hint_no_target": ("{k} 项未设目标值", "{k} have no target"),
    "hint_trends": ("{trended} 项指标有 3 年以上数据，其中 {favourable} 项趋势有利",
                    "{trended} KPIs have 3 or more years of data, {favourable} of them with a favourable trend"),
    "hint_trends_unfavourable": ("{k} 项趋势不利", "{k} with an unfavourable trend"),
    "hint_no_trends": ("没有指标有 3 年以上数据，尚不能判断趋势", "no KPI has 3 or more years of data, so no trend can be judged"),
    "hint_one_comparison": ("仅 1 项指标有对比数据，且{detail}", "only 1 KPI has comparison data: {detail}"),
    "hint_comparisons": ("{compared} 项指标有对比数据，其中 {leading} 项领先于全部对比对象",
                         "{compared} KPIs have comparison data, {leading} of them ahead of every comparison"),
    "hint_comparisons_trailing": ("{k} 项落后于全部对比对象", "{k} behind every comparison"),
    "hint_no_comparisons": ("没有对比数据", "no comparison data"),
    "hint_integration": ("整合（I）无法从数据判断，请评审员结合组织环境和过程条款评价",
                         "Integration (I) cannot be read from the data; the assessor judges it against the profile and process clauses"),
    "hint_integration_applicant": ("整合（I）无法从数据判断，由评审组结合组织环境和过程条款评定",
                                   "Integration (I) cannot be read from the data; the assessors judged it against the profile and process clauses"),
    "col_kpi_no": ("序号", "no."),
    "col_clause": ("条款", "clause"),
    "col_kpi": ("指标", "KPI"),
    "col_unit": ("单位", "unit"),
    "col_better": ("方向", "better"),
    "col_series": ("数据系列", "series"),
    "col_year": ("年份", "year"),
    "col_value": ("数值", "value"),
    "col_years": ("数据年数", "years"),
    "col_latest_year": ("最新年份", "latest year"),
    "col_latest": ("最新值", "latest"),
    "col_target": ("目标值", "target"),
    "col_met": ("达标", "met"),
    "col_gap": ("与目标差距", "gap to target"),
    "col_trend": ("趋势", "trend"),
    "col_slope": ("年均变化", "change per year"),
    "col_favourable_changes": ("有利的逐年变化", "favourable changes"),
    "col_changes": ("逐年变化", "changes"),
    "col_comparisons": ("对比", "comparisons"),
    # charts (qkit.charts)
    "chart_radar": ("各条目得分率", "Score by item"),
    "chart_radar_indicators": ("各指标得分率", "Score by indicator"),
    "chart_clauses": ("各条款得分与分值", "Points earned and available by clause"),
    "chart_clause_bands": ("各条款得分所在分数段", "Score band by clause"),
    "chart_priorities": ("改进优先级：可提升分最多的 {n} 个条款", "Priorities: the {n} clauses with most points at stake"),
    "chart_no_gaps": ("所有条款均为满分，没有可提升分", "Every clause scores 100%: no points at stake"),
    "chart_factors": ("因素评级（按评分指南分数段）", "Factor ratings (scoring-guideline bands)"),
    "chart_factors_individual": ("各指标得分档次", "Score band by indicator"),
    "chart_score_band": ("得分档次", "score band"),
    "chart_cohort": ("总分与各条目得分率", "Totals and item scores"),
    "chart_cohort_note": ("{n} 家申报单位；总分按满分的百分比比较", "{n} applicants; totals compared as % of the maximum"),
    "chart_total_percent": ("总分占满分比例", "total, % of maximum"),
    # year-over-year comparison (qkit.compare; qkit compare, the report's 与上期比较 section)
    "compare_rubrics": ("两份自评文件依据的评定标准不同，无法比较：上期为 {old}，本期为 {new}；只能比较同一评定标准的两次自评",
                        "the two documents follow different standards and cannot be compared: the previous one {old}, the current one {new}; only two assessments against the same standard compare"),
    "sec_compare": ("与上期比较", "Compared with the previous assessment"),
    "cmp_previous": ("上期", "previous"),
    "cmp_current": ("本期", "current"),
    "cmp_sides": ("上期：{old}；本期：{new}", "previous: {old}; current: {new}"),
    "cmp_lead": ("变化 = 本期 − 上期。得分率的变化以百分点计；分 = 百分点 × 条款分值。未评分的条款不计算变化。",
                 "Change = current − previous. Score changes are in percentage points; points = percentage points × the clause's points. Unscored clauses have no change."),
    "cmp_old_score": ("上期得分率", "previous score"),
    "cmp_new_score": ("本期得分率", "current score"),
    "cmp_points": ("{delta} 分", "{delta} points"),
    "cmp_delta_percent": ("±百分点", "± % points"),
    "cmp_delta_points": ("±分", "± points"),
    "cmp_old_band": ("上期分数段", "previous band"),
    "cmp_new_band": ("本期分数段", "current band"),
    "cmp_total": ("总分：{old} → {new} / {max}（{delta} 分，{delta_percent} 个百分点）",
                  "total: {old} → {new} of {max} ({delta} points, {delta_percent} pp)"),
    "cmp_total_partial": ("总分：{old} → {new} / {max}（有未评分的条款，不计算变化）",
                          "total: {old} → {new} of {max} (some clauses unscored, so no change)"),
    "cmp_maturity": ("成熟度：{old} → {new}", "maturity: {old} → {new}"),
    "cmp_unscored": ("未评分、不计算变化的条款：{clauses}", "unscored on either side, so no change: {clauses}"),
    "cmp_movers": ("变化最大的条款", "clauses that moved most"),
    "cmp_no_movers": ("各条款得分没有变化", "no clause score changed"),
    "cmp_mover": ("{clause}：{old} → {new}（{delta} 分）", "{clause}: {old} → {new} ({delta} points)"),
    "cmp_band": ("分数段", "band"),
    "cmp_ofis": ("改进机会的变化", "changes in the OFIs"),
    "cmp_ofis_gone": ("上期的改进机会，本期不再出现", "OFIs of the previous assessment no longer listed"),
    "cmp_ofis_new": ("本期新的改进机会", "new OFIs"),
    "cmp_no_ofi_changes": ("改进机会与上期相同", "the OFIs are the same as before"),
    "cmp_kpis": ("指标数据（两期合并）", "KPI data of both assessments, joined"),
    "cmp_kpi_found": ("来源", "found in"),
    "cmp_kpi_both": ("两期", "both"),
    "cmp_kpi_old": ("仅上期", "previous only"),
    "cmp_kpi_new": ("仅本期", "current only"),
    "cmp_kpi_revised": ("数值有修改的年份", "values revised"),
    "cmp_revision": ("{kpi}（{series}{year} 年）：{old} → {new}", "{kpi} ({series}{year}): {old} → {new}"),
    "cmp_no_kpis": ("两期均无指标数据", "neither assessment has KPI data"),
    "chart_item_changes": ("各条目得分率变化", "Change in score by item"),
    "chart_percentage_points": ("百分点", "percentage points"),
    "chart_partial": ("有未评分条款，不比较", "partly unscored, not compared"),
    # the web form (qkit.widgets)
    "unsaved": ("有未保存的修改，将自动保存……", "unsaved changes; saving automatically…"),
    "saved_revision": ("已保存（第 {number} 版，{time}）", "saved (revision {number}, {time})"),
    "store_unavailable": ("服务器上的自评数据暂时无法读取，请联系管理员。", "The assessment data on the server cannot be read right now; please contact the administrator."),
    "wb_no_store": ("没有找到自评数据。自评表须由 qkit serve 提供（例如 qkit serve --data 数据文件夹），再用 qkit applicants add 生成的个人链接打开；直接用 Voila 打开自评表时，它不会找到数据，也不会新建数据。",
                    "No assessment data was found. The workbooks are served by qkit serve (e.g. qkit serve --data FOLDER) and opened with a personal link from qkit applicants add; opened by Voila alone, a workbook finds no data, and makes none."),
    "wb_denied_title": ("无法打开自评表", "The workbook cannot be opened"),
    "wb_landing_title": ("卓越绩效自评表", "Performance-excellence self-assessment workbooks"),
    "wb_landing_intro": ("本服务提供以下评定标准的在线自评表：", "Online self-assessment workbooks are served for these standards:"),
    "wb_landing_help": ("请使用评审办公室发给贵单位的专属链接打开自评表；链接中含有访问密钥，请勿转发给他人。",
                        "Open your workbook with the personal link your award office sent you; it contains your access key, so do not pass it on."),
    "wb_standard": ("标准文件", "standard"),
    "wb_save": ("保存", "Save"),
    "wb_problems": ("需要修改的内容（{n} 处）", "Entries to correct ({n})"),
    "wb_unnamed": ("（未填写单位名称）", "(no name yet)"),
    "wb_missing": ("共 {all} 个条款，还有 {n} 个未评分", "{n} of {all} clauses not scored yet"),
    "wb_all_scored": ("所有条款均已评分", "every clause is scored"),
    "wb_missing_indicators": ("共 {all} 个指标，还有 {n} 个未评分", "{n} of {all} indicators not scored yet"),
    "wb_all_scored_indicators": ("所有指标均已评分", "every indicator is scored"),
    "wb_profile_tab": ("5.1 组织环境", "5.1 Profile"),
    "wb_person_tab": ("基本信息", "About the applicant"),
    "wb_results_tab": ("结果数据", "Results data"),
    "wb_summary_tab": ("汇总", "Summary"),
    "wb_export_tab": ("导出", "Export"),
    "wb_applicant": ("申报单位", "Applicant"),
    "wb_applicant_name": ("名称（必填）", "name (required)"),
    "wb_applicant_short_name": ("简称", "short name"),
    "wb_applicant_industry": ("所属行业", "industry"),
    "wb_applicant_location": ("所在地", "location"),
    "wb_applicant_employees": ("员工人数", "employees"),
    "wb_applicant_contact": ("联系人", "contact"),
    "wb_applicant_place_name": ("名称", "name"),
    # the individual award's nominee: a person, not an organization
    "wb_nominee": ("申报人", "Nominee"),
    "wb_nominee_name": ("姓名（必填）", "name (required)"),
    "wb_nominee_place_name": ("姓名", "name"),
    "wb_nominee_short_name": ("图表中的称呼（可不填）", "name on charts (optional)"),
    "wb_nominee_organization": ("工作单位", "organization"),
    "wb_nominee_position": ("职务", "position"),
    "wb_nominee_location": ("所在地", "location"),
    "wb_nominee_contact": ("申报联络人", "contact for the nomination"),
    "wb_assessment": ("本次自评", "This assessment"),
    "wb_date": ("自评日期（年-月-日）", "date (YYYY-MM-DD)"),
    "wb_date_placeholder": ("例如 2026-10-15", "e.g. 2026-10-15"),
    "wb_stage": ("阶段", "stage"),
    "wb_assessors": ("评审员", "assessors"),
    "wb_assessors_hint": ("多人用顿号或逗号分隔", "separate names with commas"),
    "wb_factors": ("因素评级：按评分指南选择最符合的分数段", "Factor ratings: choose the band whose description fits best"),
    "wb_unrated": ("未评定", "not rated"),
    "wb_rate_all": ("四个因素都评定后，这里会给出建议分数段", "rate all four factors to see a suggested band"),
    "wb_suggestion": ("建议分数段：{band}，建议得分 {score}%", "suggested band: {band}, suggested score {score}%"),
    "wb_apply_suggestion": ("采用建议得分", "Use suggested score"),
    "wb_earned": ("得分 {earned} / {points}", "{earned} of {points} points"),
    "wb_strengths": ("优势", "Strengths"),
    "wb_evidence": ("证据", "Evidence"),
    "wb_evidence_hint": ("文件名称及章节、图表编号", "document, section, figure"),
    "wb_notes": ("备注（例如得分超出建议分数段的理由）", "Notes (e.g. why the score lies outside the suggested band)"),
    "wb_notes_indicator": ("备注（例如评分的依据）", "Notes (e.g. what the score rests on)"),
    "wb_add_entry": ("添加一条", "Add"),
    "wb_remove_entry": ("删除这一条", "Remove this entry"),
    "wb_evaluation_points": ("评价要点", "evaluation points"),
    "overview": ("概述", "Overview"),
    "not_scored": ("不计分", "not scored"),
    "wb_descriptor": ("描述", "description"),
    "wb_results_intro": ("每项指标填写支持的结果条款、名称、单位和历年数值；可添加行业标杆、竞争对手等对比系列。"
                         "也可导入 CSV 或 Excel 表格：每行一项指标（或一个对比系列），列为 条款、指标、单位、方向、目标值、数据系列 和各年份。",
                         "For each KPI enter the results clause it supports, its name, unit and yearly values; add benchmark or competitor series to compare. "
                         "Or import a CSV or Excel table: one row per KPI (or comparison series), columns clause, KPI, unit, better, target, series and one per year."),
    "wb_add_kpi": ("添加指标", "Add KPI"),
    "wb_remove_kpi": ("删除该指标", "Remove KPI"),
    "wb_import": ("导入 CSV / Excel", "Import CSV / Excel"),
    "wb_imported": ("已导入：新增 {added} 项指标，更新 {updated} 项", "imported: {added} KPIs added, {updated} updated"),
    "wb_import_progress": ("正在导入……已用 {s} 秒", "importing… {s} s so far"),
    "wb_add_year": ("添加年份", "Add year"),
    "wb_add_series": ("添加对比系列", "Add comparison"),
    "wb_new_series": ("对比系列", "comparison"),
    "wb_series_name": ("选择或输入对比对象，例如 行业标杆、主要竞争对手", "choose or type what is compared, e.g. industry benchmark"),
    "wb_export_intro": ("点击即可下载。HTML 反馈报告需先生成（约 15 秒），生成后在同一处下载。",
                        "Click to download. The HTML report is made first (about 15 s), then downloads from the same place."),
    "wb_export_yaml": ("备份：自评文档（YAML，供咨询师用 qkit 命令处理）", "Backup: the document (YAML, for consultants' qkit commands)"),
    "wb_export_docx": ("Word 自评报告（含全部条款、图表和插图）", "The self-assessment report in Word (every clause, table and figure)"),
    "wb_export_package": ("申报材料包：概述、自评报告、自评表、证实性材料及其目录（.zip）",
                          "The application package: overview, report, self-assessment scores, evidence and its index (.zip)"),
    "wb_make_docx": ("生成 Word 自评报告", "Make the Word report"),
    "wb_make_package": ("生成申报材料包", "Make the package"),
    "wb_making_file": ("正在生成……已用 {s} 秒", "making it… {s} s so far"),
    "wb_files": ("证据文件", "Evidence files"),
    "wb_files_hint": ("可上传 {kinds} 文件，每份不超过 {limit}；叙述中写 [[证据:编号]] 引用，图片可单独一行写 [[插图:编号]] 放入叙述",
                      "upload {kinds} files of at most {limit} each; cite one in a narrative as [[EVIDENCE:number]], and place an image on a line of its own as [[IMAGE:number]]"),
    "wb_attach": ("上传文件", "Upload a file"),
    "wb_remove_file": ("从本条款移除（文件仍保存在数据库中）", "Remove from this clause (the file stays in the store)"),
    "wb_place_file": ("证据文件第 {n} 份", "evidence file {n}"),
    "wb_file_title": ("名称", "Title"),
    "wb_file_date": ("日期", "Date"),
    "wb_file_owner": ("责任部门或责任人", "Owner"),
    "wb_attached": ("已上传为证据 {number}；在叙述中引用：{cite}", "uploaded as evidence {number}; cite it in a narrative as {cite}"),
    "wb_attached_image": ("；放入叙述（单独一行）：{image}", "; place it in a narrative, on a line of its own, as {image}"),
    "wb_export_excel": ("Excel 工作簿", "Excel workbook"),
    "wb_export_report": ("HTML 反馈报告", "HTML report"),
    "wb_download": ("下载 {file}", "Download {file}"),
    "wb_data_hint": ("数据提示（仅供参考，不改变得分）", "What the data suggest (advice only, never a score)"),
    # what the form calls each field (qkit.web.places)
    "wb_place_date": ("自评日期", "date"),
    "wb_place_prompt": ("{id}）{name}", "{id}) {name}"),
    "wb_place_factor": ("{name}（{id}）", "{name} ({id})"),
    "wb_place_factors": ("因素评级", "factor ratings"),
    "wb_place_strength": ("优势第 {n} 条", "strength {n}"),
    "wb_place_ofi": ("改进机会第 {n} 条", "OFI {n}"),
    "wb_place_evidence": ("证据第 {n} 条", "evidence {n}"),
    "wb_place_notes": ("备注", "notes"),
    "wb_place_kpi": ("指标“{name}”", "KPI “{name}”"),
    "wb_place_kpi_n": ("第 {n} 项指标", "KPI {n}"),
    "wb_place_comparisons": ("对比系列", "comparison series"),
    "wb_place_year": ("{year} 年", "{year}"),
    "wb_place_bad_year": ("年份“{year}”", "year “{year}”"),
    "wb_kpi_name": ("指标名称", "KPI name"),
    "wb_outside_range": ("共识得分不在评审员独立评分的范围（{low}%–{high}%）内，请在下方“备注”中说明理由",
                         "the agreed score lies outside the assessors' independent range ({low}%–{high}%): say why in the notes below"),
    "wb_outside_band": ("所选得分不在建议分数段 {band} 内，请在下方“备注”中说明理由",
                        "the chosen score lies outside the suggested band {band}; give the reason under Notes below"),
    "wb_jump_hint": ("点击一条，即可跳到要修改的地方", "click an entry to go to the field"),
    "wb_more_problems": ("……还有 {n} 处", "… and {n} more"),
    # the year grid of a KPI
    "wb_add_year_hint": ("添加尚未填写的最近一年（早于本次自评的年份）", "adds the latest year not filled in yet, before the assessment year"),
    "wb_remove_year": ("删除这一年", "Remove this year"),
    "wb_remove_series": ("删除该对比系列", "Remove this comparison"),
    "wb_series_label": ("对比对象", "compared with"),
    "wb_series_benchmark": ("行业标杆", "industry benchmark"),
    "wb_series_competitor": ("主要竞争对手", "main competitor"),
    "wb_series_average": ("行业平均", "industry average"),
    "wb_paste_hint": ("可从 Excel 复制一行数值粘贴到某一格：数值依次填入该年及下面各年；数值多于下面的行数时，填入截至最后一年的最近各年。连同上方的年份一起复制，则按所复制的年份填入",
                      "paste a row of values copied from Excel into a cell: they fill that year and the years below it; when there are more values than rows, they fill the latest years up to the last one. Copy the years above the values too, and they land on those years"),
    "wb_pasted": ("已填入 {years} 年", "filled {years}"),
    "wb_entry_placeholder": ("在此填写；不需要时用右侧的按钮删除", "type here; remove it with the bin when not needed"),
    # the summary while scoring is partial
    "overall_level": ("总体水平（按各指标档次汇总）", "overall level (qkit's summary of the indicator bands)"),
    "maturity_basis": ("暂定：仅依据已评分的 {scored} 项（共 {all} 项，{points} / {max} 分）；未评分的条款不计入",
                       "provisional: read from the clauses scored so far ({scored} of {all}, {points} of {max} points); unscored clauses are left out"),
    "provisional": ("暂定", "provisional"),
    "nothing_scored": ("尚无已评分的内容", "nothing is scored yet"),
    "wb_unscored": ("待评分（{n} 项）", "To be scored ({n})"),
    "wb_unscored_hint": ("以下各项尚未评分，不列入改进优先级", "not scored yet, so not among the priorities"),
    "wb_no_priorities": ("已评分的各项均为满分，没有可提升分", "everything scored so far is at 100%: no points at stake"),
    # export
    "wb_make_report": ("生成 HTML 反馈报告", "Make the HTML report"),
    "wb_report_progress": ("正在生成报告……已用 {s} 秒（通常约 15 秒）", "making the report… {s} s so far (usually about 15 s)"),
    "wb_report_outdated": ("报告生成后内容又有修改：如需最新内容，请重新生成", "the document changed after this report was made: make it again for the latest"),
    # the scoring guidelines in English
    "wb_translation": ("（译文，以中文原文为准）", "(translation; the Chinese text is authoritative)"),
    "wb_original": ("中文原文", "Chinese original"),
    # the 自评报告's text in the form (hints for the writer, never problems)
    "wb_narrative": ("自评报告叙述", "Self-assessment report text"),
    "wb_profile_narrative_intro": ("提交的自评报告中 5.1 的正文，宜涵盖上面 a）至 d）各项；其字数按 5.1 的限额统计",
                                   "the text of 5.1 in the report you submit, best covering a) to d) above; it counts against the limit of 5.1"),
    "wb_file_name": ("{year}自评", "self-assessment-{year}"),
    "wb_file_name_undated": ("自评", "self-assessment"),
    "wb_example_kpi": ("顾客满意度", "customer satisfaction"),
    "wb_markup_title": ("怎样分段、列项、加粗和引用指标数据", "How to make paragraphs, lists and bold text, and cite results"),
    "wb_markup_paragraph": ("另起一段：空一行", "a new paragraph: leave a blank line"),
    "wb_markup_list": ("列项：每项单独一行，行首写减号和空格“- ”", "a list: each entry on its own line, starting with a dash and a space “- ”"),
    "wb_markup_bold": ("加粗：在文字两边各写两个星号，如 **关键举措**", "bold: two asterisks on each side, e.g. **key initiative**"),
    "wb_markup_kpi": ("提到一项指标：[[KPI:{kpi}]]，报告中显示为“{kpi}（见图{number}）”，即该指标趋势图的编号",
                      "mention a KPI: [[KPI:{kpi}]] reads “{kpi} (see Figure {number})” in the report, the number of its trend chart"),
    "wb_markup_figure": ("只写趋势图的编号：[[图:{kpi}]]，显示为“图{number}”", "only its chart's number: [[FIG:{kpi}]] reads “Figure {number}”"),
    "wb_markup_table": ("一个条款的指标表：[[表:{clause}]]，显示为“表{number}”；表和图由 qkit 排在该条款的正文之后",
                        "the KPI table of a clause: [[TABLE:{clause}]] reads “Table {number}”; qkit places tables and charts after the clause's text"),
    "wb_words": ("{n} / {limit} 字", "{n} / {limit} words"),
    "wb_words_free": ("{n} 字（不限）", "{n} words (no limit)"),
    "wb_words_over": ("超出 {over} 字", "{over} over the limit"),
    "wb_words_guide": ("{n} 字 · 参考约 {guide} 字", "{n} words · guidance about {guide}"),
    "wb_words_beyond": ("多于参考 {over} 字", "{over} beyond the guidance"),
    "wb_words_shown": ("含{what}", "including {what}"),
    "wb_report_words": ("自评报告合计 {n} / {limit} 字（含图表）", "whole report {n} / {limit} words (tables and figures included)"),
    "wb_words_note": ("按 Word“字数统计”的字数计：每个汉字和中文标点计 1", "counted as Word counts: each Chinese character and punctuation mark is one"),
    "wb_coverage": ("以下要点似乎尚未写到：{points}", "these sub-points seem not to be addressed yet: {points}"),
    "wb_coverage_note": ("按用词推测，仅供撰写参考，不影响评分", "a guess from the wording, for the writer; it never changes a score"),
    # feedback-quality warnings in the form (qkit.lint): hints, never problems
    "wb_lint_note": ("反馈质量提示：不影响得分，也不妨碍导出", "feedback-quality hint: it changes no score and holds back no export"),
    # each feedback-quality rule named in the form's words (the command line shows its code, as the rules file names it)
    "lint_code_prescriptive": ("指令性", "prescriptive"),
    "lint_code_judgement": ("缺少事实", "judgement"),
    "lint_code_no_figure": ("缺少数据", "no figure"),
    "lint_code_no_evidence": ("缺少证据", "no evidence"),
    "lint_code_too_short": ("过短", "too short"),
    "lint_code_too_long": ("过长", "too long"),
    "lint_code_count_low": ("条数少", "too few"),
    "lint_code_count_high": ("条数多", "too many"),
    # the improvement plan (qkit.plan): its statuses, the CLI, the report, the workbook, the Word file, the form
    "status_not_started": ("未开始", "not started"),
    "status_in_progress": ("进行中", "in progress"),
    "status_done": ("已完成", "done"),
    "status_cancelled": ("已取消", "cancelled"),
    "sec_plan": ("改进计划", "Improvement plan"),
    "sheet_plan": ("改进计划", "Improvement plan"),
    "plan_lead": ("截至 {today}，共 {n} 项措施（{counts}），其中 {overdue} 项已逾期。",
                  "As of {today}: {n} actions ({counts}), {overdue} of them overdue."),
    "plan_gain": ("全部目标得分达成时，预计可提升 {gain} 分（尚未评分的条款不计入）。",
                  "Were every target score met, the plan would gain {gain} points (clauses not scored yet are not counted)."),
    "plan_none": ("该文件没有改进计划；可用 qkit plan draft 草拟", "this document has no improvement plan; draft one with qkit plan draft"),
    "plan_drafted": ("已草拟 {n} 项改进措施：{file}（状态均为未开始；措施内容、负责人、日期和目标请逐项填写）；{source} 保持不变",
                     "{n} actions drafted in {file} (each not started; fill in what will be done, the owner, the dates and the targets); {source} is unchanged"),
    "plan_to_write": ("（待填写）", "(to be written)"),
    "col_action_id": ("编号", "id"),
    "col_action": ("措施", "action"),
    "col_answers": ("针对的改进机会", "OFIs answered"),
    "col_owner": ("负责人", "owner"),
    "col_start": ("开始日期", "start"),
    "col_due": ("截止日期", "due"),
    "col_status": ("状态", "status"),
    "col_target_score": ("目标得分率", "target score"),
    "col_kpi_target": ("指标目标", "KPI target"),
    "col_progress": ("进展", "progress notes"),
    "col_overdue": ("逾期", "overdue"),
    "kpi_target_text": ("{name}：{year}年达到 {target}", "{name}: {target} in {year}"),
    "kpi_target_latest": ("{name}：达到 {target}", "{name}: {target}"),
    "sec_roadmap": ("路线图：各条目当前得分与目标", "Roadmap: each item now and at its target"),
    "col_now": ("当前得分", "now"),
    "col_at_target": ("目标得分", "at target"),
    "col_gain": ("可提升", "gain"),
    "col_now_band": ("当前分数段", "band now"),
    "col_target_band": ("目标分数段", "band at target"),
    "chart_timeline": ("改进措施时间表（按截止日期，颜色表示状态）", "Actions by due date, coloured by status"),
    "timeline_today": ("今天", "today"),
    "timeline_no_due": ("未定截止日期", "no due date"),
    "cmp_plan": ("改进措施的效果", "What the completed actions did"),
    "cmp_plan_lead": ("已完成的改进措施所针对的条款，得分是否变化；设定了目标的指标是否达到目标。",
                      "Whether the score of each clause with completed actions moved, and whether each KPI with a target in the plan reached it."),
    "col_done_actions": ("已完成的措施", "completed actions"),
    "col_moved": ("得分变化", "score moved"),
    "moved_up": ("上升", "up"),
    "moved_down": ("下降", "down"),
    "moved_not": ("未变", "unchanged"),
    "moved_unknown": ("有一期未评分", "unscored on one side"),
    "cmp_kpi_targets": ("指标目标达成情况", "KPI targets"),
    "col_target_year": ("目标年份", "target year"),
    "col_reached": ("是否达成", "reached"),
    "reached_yes": ("已达成", "reached"),
    "reached_no": ("未达成", "not reached"),
    "reached_unknown": ("尚无该年数据", "no value for that year yet"),
    "wb_plan_tab": ("改进计划", "Improvement plan"),
    "wb_plan_intro": ("从改进机会出发的措施：负责人、起止日期、状态和预期效果（条款的目标得分率，或指标在某年的目标值）。撰写人编辑自己负责条目的措施，负责人可编辑全部；逾期的措施标为红色。",
                      "Actions that answer the OFIs: owner, start and due dates, status and the effect expected (a target score for the clauses, or a KPI's target value in a year). Writers edit the actions of their own items, the lead edits all; overdue actions are marked in red."),
    "wb_add_action": ("添加措施", "Add an action"),
    "wb_remove_action": ("删除该措施", "Remove this action"),
    "wb_from_ofi": ("加入改进计划", "Add to the plan"),
    "wb_in_plan": ("已在改进计划中（{id}）", "in the plan ({id})"),
    "wb_filter_all": ("全部", "all"),
    "wb_plan_shown": ("显示 {shown} / {all} 项", "showing {shown} of {all}"),
    "wb_plan_empty": ("尚无措施：在各条目的改进机会旁点“加入改进计划”，或点“添加措施”。",
                      "No actions yet: press “Add to the plan” beside an OFI in an item's tab, or “Add an action”."),
    "wb_action_clauses": ("条款", "clauses"),
    "wb_action_text": ("措施内容", "what will be done"),
    "wb_owner_hint": ("选择成员或输入部门", "a member, or a department"),
    "wb_date_hint": ("年-月-日", "YYYY-MM-DD"),
    "wb_no_target": ("不设目标", "no target"),
    "wb_kpi_none": ("不设指标目标", "no KPI target"),
    "wb_kpi_value": ("指标目标值", "KPI target value"),
    "wb_overdue": ("已逾期（截止 {due}）", "overdue (due {due})"),
    "wb_place_action": ("改进计划 {id}", "plan action {id}"),
}


class Named:
    """A thing with a Chinese ``title`` and an English ``title_en`` (a clause, an item, a change): its name in
    the page's language. Data classes of scores, comparisons and statistics take their name from here."""

    title: str
    title_en: str

    def name(self, lang: str = "zh") -> str:
        return self.title_en if lang == "en" else self.title


def _lang(lang: str | None) -> int:
    return 1 if lang == "en" else 0


def tr(key: str, lang: str | None = DEFAULT_LANG, **params: Any) -> str:
    """A message or label in the given language, with params filled in."""
    text = (MESSAGES.get(key) or LABELS[key])[_lang(lang)]
    return text.format(**params) if params else text


def join_list(values: list[Any], lang: str | None = DEFAULT_LANG) -> str:
    return ("、" if _lang(lang) == 0 else ", ").join(str(v) for v in values)


def capital(text: str) -> str:
    """A label as a heading, a table's column or a line's start shows it: its first letter a capital
    (strengths → Strengths); Chinese is left as it is."""
    return text[:1].upper() + text[1:]


def colon(lang: str | None = DEFAULT_LANG) -> str:
    """What stands between a label and its text: full-width in Chinese (总分：62.5), "total: 62.5" in English."""
    return "：" if _lang(lang) == 0 else ": "


def lettered(letter: str, lang: str | None = DEFAULT_LANG) -> str:
    """A sub-point's letter before its title as the standards write it, a）, and as English does, "a) "."""
    return f"{letter}）" if _lang(lang) == 0 else f"{letter}) "


def paren(text: str, inner: str, lang: str | None = DEFAULT_LANG) -> str:
    """``text`` with ``inner`` in brackets: full-width in Chinese, 得分（占比）; "score (share)" in English."""
    return f"{text}（{inner}）" if _lang(lang) == 0 else f"{text} ({inner})"


def fmt_points(value: float | None) -> str:
    """Points as a quality team writes them: 24.75, 30, 612.5; no float noise."""
    if value is None:
        return "—"
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def fmt_bytes(size: int) -> str:
    """A file size as people read it: 850 KB, 4 MB."""
    if size >= 1024 * 1024:
        return f"{fmt_points(size / 1024 / 1024)} MB"
    return f"{max(1, round(size / 1024))} KB"


def fmt_value(value: float | None) -> str:
    """A KPI value as entered: up to six significant digits (0.047, 38.2, 1250, 1234567), no float noise.

    Large values keep their digits (a revenue of 1234567 is not 1.23457e+06).
    """
    if value is None or (isinstance(value, float) and not math.isfinite(value)):  # NaN, infinity: never checked
        return "—"
    if abs(value) >= 1e6:
        return f"{value:,.0f}" if value == int(value) else f"{value:,.2f}"
    return f"{value:.6g}"


def fmt_percent(value: float | None) -> str:
    return "—" if value is None else f"{fmt_points(value)}%"


def fmt_band(band: Any) -> str:
    """A score band as every view shows it: 50%–65%. (``band.key``, 50-65, is its id in files.)"""
    return f"{band.min}%–{band.max}%"


def fmt_cell(value: Any, percent: bool = False) -> str:
    """A table cell as a quality team reads it: 24.5 not 24.500, 65%, — for nothing."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return fmt_percent(value) if percent else fmt_points(value)
    return str(value)


def fmt_date(value: dt.date | str | None, lang: str | None = DEFAULT_LANG) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        value = dt.date.fromisoformat(value)
    if _lang(lang) == 0:
        return f"{value.year}年{value.month}月{value.day}日"
    return value.isoformat()


def fmt_day(value: dt.date, lang: str | None = DEFAULT_LANG, today: dt.date | None = None) -> str:
    """A day as a team writes it in a sentence: 12 月 10 日 (10 Dec); with the year when it is not this year's."""
    this_year = value.year == (today or dt.date.today()).year
    if _lang(lang) == 0:
        return f"{value.month} 月 {value.day} 日" if this_year else f"{value.year} 年 {value.month} 月 {value.day} 日"
    month = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()[value.month - 1]  # never the machine's locale
    return f"{value.day} {month}" + ("" if this_year else f" {value.year}")


def problem_message(problem: Any, lang: str | None = DEFAULT_LANG) -> str:
    """What is wrong and what is allowed, without the field."""
    params = dict(problem.params)
    if "allowed" in params and isinstance(params["allowed"], (list, tuple)):
        params["allowed"] = join_list(params["allowed"], lang)
    if params.get("kind") in ("strengths", "ofis", "evidence"):  # a list named by its field: say it in words
        params["kind"] = tr(params["kind"], lang)
    for key in ("asked", "editions"):  # a report's editions, in words
        if key in params:
            names = [tr(f"audience_{a}", lang) for a in (params[key] if key == "editions" else [params[key]])]
            params[key] = join_list(names, lang)
    if params.get("role") in ("lead", "writer", "assessor"):  # a member's role, in words
        params["role"] = tr(f"role_{params['role']}", lang)
    return tr(problem.code, lang, **params)


REPEATED = 3  # a problem found this often or more is said once, with its count and first places
PLACES_SHOWN = 3


def render_problems(problems: list[Any], lang: str | None = DEFAULT_LANG) -> list[str]:
    """Each problem on a line; the same problem found in many places is one line with the count.

    "The same" means the same message (code and parameters); the values may
    differ. A document converted from JSON with 250 bad year keys reads as
    one line, not 250.
    """
    groups: dict[tuple, list[Any]] = {}
    for problem in problems:
        key = (problem.code, repr(sorted(problem.params.items())))
        groups.setdefault(key, []).append(problem)
    lines = []
    for group in groups.values():
        if len(group) < REPEATED:
            lines += [render_problem(p, lang) for p in group]
        else:
            places = join_list([p.field for p in group[:PLACES_SHOWN]], lang)
            lines.append(tr("repeated", lang, message=problem_message(group[0], lang), n=len(group), places=places))
    return lines


def short_repr(value: Any, limit: int = 60) -> str:
    """A value as a message shows it, cut to ``limit`` characters *before* it is turned into text.

    A value can be a list nested a thousand levels deep or a string of a
    million characters: only as much of it is visited as will be shown.
    """
    parts: list[str] = []
    budget = [limit + 1]

    def emit(text: str) -> None:
        parts.append(text[:budget[0]])
        budget[0] -= len(parts[-1])

    stack: list[Any] = [value]
    while stack and budget[0] > 0:
        item = stack.pop()
        if isinstance(item, _Token):
            emit(item.text)
        elif isinstance(item, str):
            emit(repr(item[:budget[0]]))
        elif isinstance(item, dict):
            entries = [_Token("{")]
            for i, (key, val) in enumerate(item.items()):
                if i * 2 > budget[0]:
                    break
                entries += [_Token(", ")] if i else []
                entries += [key, _Token(": "), val]
            stack += reversed(entries + [_Token("}")])
        elif isinstance(item, (list, tuple)):
            entries = [_Token("[")]
            for i, val in enumerate(item):
                if i * 2 > budget[0]:
                    break
                entries += ([_Token(", ")] if i else []) + [val]
            stack += reversed(entries + [_Token("]")])
        elif isinstance(item, int) and item.bit_length() > 4 * limit:  # more digits than shown, or than str() writes
            emit(f"{'-' if item < 0 else ''}~10^{int(item.bit_length() * math.log10(2))}")
        else:
            emit(str(item))
    text = "".join(parts)
    return text if len(text) <= limit else text[:limit - 1] + "…"


class _Token:
    """Literal text in ``short_repr``'s work list (brackets and separators)."""

    def __init__(self, text: str):
        self.text = text


def quoted(value: Any, lang: str | None = DEFAULT_LANG, limit: int = 60) -> str:
    """A value as a message shows it: text in the language's quotation marks (“约五”, "9l.5"), an invisible
    character as its escape (\\x0b); anything else as ``short_repr`` writes it."""
    if not isinstance(value, str):
        return short_repr(value, limit)
    room = limit - 2  # the quotation marks count
    text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in value[:room + 1])
    text = text if len(text) <= room else text[:room - 1] + "…"
    return f"“{text}”" if _lang(lang) == 0 else f'"{text}"'


def render_problem(problem: Any, lang: str | None = DEFAULT_LANG) -> str:
    message = problem_message(problem, lang)
    sep = "：" if _lang(lang) == 0 else ": "
    text = f"{problem.field}{sep}{message}" if problem.field else message
    if problem.has_value:
        shown = quoted(problem.value, lang)
        text += f"（{tr('value', lang)}：{shown}）" if _lang(lang) == 0 else f" ({tr('value', lang)} {shown})"
    return text
