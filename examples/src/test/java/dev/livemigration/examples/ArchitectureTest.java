package dev.livemigration.examples;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.library.GeneralCodingRules;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Keeps the module boundaries of the architecture (docs/ARCHITECTURE.md) true in the code. */
@DisplayName("The architecture")
class ArchitectureTest {
  private static final String API = "dev.livemigration.api..";
  private static final String CORE = "dev.livemigration.core..";
  private static final String LIBVIRT = "dev.livemigration.libvirt..";
  private static final String TESTKIT = "dev.livemigration.testkit..";

  private static JavaClasses library;

  @BeforeAll
  static void importLibrary() {
    library =
        new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_JARS)
            .importPackages("dev.livemigration");
  }

  private static void check(ArchRule rule) {
    rule.allowEmptyShould(true).check(library);
  }

  @Test
  @DisplayName("api depends on no other module")
  void apiIsSelfContained() {
    check(
        noClasses()
            .that()
            .resideInAPackage(API)
            .should()
            .dependOnClassesThat()
            .resideInAnyPackage(CORE, LIBVIRT, TESTKIT, "dev.livemigration.examples.."));
  }

  @Test
  @DisplayName("core depends on neither libvirt nor the testkit")
  void coreDependsOnApiOnly() {
    check(
        noClasses()
            .that()
            .resideInAPackage(CORE)
            .should()
            .dependOnClassesThat()
            .resideInAnyPackage(LIBVIRT, TESTKIT, "dev.livemigration.examples.."));
  }

  @Test
  @DisplayName("libvirt does not depend on the testkit")
  void libvirtDoesNotDependOnTestkit() {
    check(
        noClasses()
            .that()
            .resideInAPackage(LIBVIRT)
            .should()
            .dependOnClassesThat()
            .resideInAnyPackage(TESTKIT, "dev.livemigration.examples.."));
  }

  @Test
  @DisplayName("the testkit does not depend on libvirt")
  void testkitDoesNotDependOnLibvirt() {
    check(
        noClasses()
            .that()
            .resideInAPackage(TESTKIT)
            .should()
            .dependOnClassesThat()
            .resideInAnyPackage(LIBVIRT, "dev.livemigration.examples.."));
  }

  @Test
  @DisplayName("packages have no cycles")
  void noPackageCycles() {
    check(slices().matching("dev.livemigration.(**)").should().beFreeOfCycles());
  }

  @Test
  @DisplayName("library code never writes to stdout or stderr")
  void noStandardStreams() {
    check(
        noClasses()
            .that()
            .resideInAnyPackage(API, CORE, LIBVIRT, TESTKIT)
            .should(GeneralCodingRules.ACCESS_STANDARD_STREAMS));
  }

  @Test
  @DisplayName("library code throws no generic exceptions")
  void noGenericExceptions() {
    check(
        noClasses()
            .that()
            .resideInAnyPackage(API, CORE, LIBVIRT, TESTKIT)
            .should(GeneralCodingRules.THROW_GENERIC_EXCEPTIONS));
  }

  @Test
  @DisplayName("library code logs through the SLF4J API only")
  void slf4jOnly() {
    check(
        noClasses()
            .that()
            .resideInAnyPackage(API, CORE, LIBVIRT, TESTKIT)
            .should(GeneralCodingRules.USE_JAVA_UTIL_LOGGING)
            .orShould()
            .dependOnClassesThat()
            .resideInAnyPackage(
                "org.slf4j.simple..", "ch.qos.logback..", "org.apache.logging.log4j.."));
  }
}
